package assert

import (
	"github.com/dlclark/regexp2/v2"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchemaPattern compiles a schema's pattern and patternProperties as
// ajv, promptfoo's validator, does: new RegExp(pattern, "u"), a JavaScript
// regular expression with the unicode flag, so lookaround and
// backreferences work (Go's RE2 has neither). A match past regexTimeout
// counts as no match.
func compileSchemaPattern(expr string) (jsonschema.Regexp, error) {
	if err := checkJSGroups(expr); err != nil {
		return nil, err
	}
	re, err := regexp2.Compile(expr, regexp2.ECMAScript|regexp2.Unicode)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexTimeout
	return schemaPattern{re}, nil
}

// schemaPattern is a regexp2 expression as the schema validator asks for it.
type schemaPattern struct{ re *regexp2.Regexp }

func (p schemaPattern) MatchString(s string) bool {
	ok, err := p.re.MatchString(s)
	return ok && err == nil
}

func (p schemaPattern) String() string { return p.re.String() }
