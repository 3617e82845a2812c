package assert

import (
	"fmt"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// regexTimeout bounds one match, so a pattern with catastrophic backtracking
// fails the assertion instead of hanging the run.
const regexTimeout = 5 * time.Second

// matchRegex tests the output against a JavaScript regular expression, as
// promptfoo's new RegExp(value).test(output) does: no flags, so ^ and $
// anchor the whole text and . stops at line terminators. An invalid
// expression fails, even when negated.
func (a Assertion) matchRegex(v verdict, text string, vars map[string]any) verdict {
	expr := a.Value.(string)
	re, err := a.re, a.reErr
	if a.templed {
		expr = substitute(expr, vars)
		re, err = compileJSRegex(expr)
	}
	v.predicate = "match /" + clip(expr) + "/"
	if err != nil {
		v.broken, v.detail = true, "(invalid regular expression: "+oneLine(err.Error())+")"
		return v
	}
	ok, err := re.MatchString(text)
	if err != nil {
		v.broken, v.detail = true, "("+oneLine(err.Error())+")"
		return v
	}
	v.holds = ok
	return v
}

// compileJSRegex compiles a JavaScript regular expression (no flags), as
// promptfoo's new RegExp(value) does.
func compileJSRegex(expr string) (*regexp2.Regexp, error) {
	if err := checkJSGroups(expr); err != nil {
		return nil, err
	}
	re, err := regexp2.Compile(expr, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexTimeout
	return re, nil
}

// checkJSGroups rejects group syntax JavaScript does not have, which the
// engine would accept: inline flags such as (?i) and other (?x forms. Only
// (?: (?= (?! (?<= (?<! and (?<name> open a special group in JavaScript.
func checkJSGroups(expr string) error {
	inClass := false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(' && i+2 < len(expr) && expr[i+1] == '?':
			switch next := expr[i+2]; {
			case next == ':' || next == '=' || next == '!':
			case next == '<' && i+3 < len(expr) && expr[i+3] != '=' && expr[i+3] != '!':
			case next == '<':
			default:
				return fmt.Errorf("invalid group (?%c at offset %d: JavaScript has no inline flags", next, i)
			}
		case c == '(' && i+1 < len(expr) && expr[i+1] == '?':
			return fmt.Errorf("invalid group at offset %d", i)
		}
	}
	return nil
}
