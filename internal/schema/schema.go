// Package schema compiles the JSON Schemas that users write into their files
// (a json-schema assertion's value, a prompt's input.schema). Those files come
// from pull requests, so a schema may refer only inside itself: a $ref, a
// $schema or any other reference to a file or URL is refused instead of
// loaded, and nothing from outside the document can reach a report.
package schema

import (
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// base is the URL schemas are compiled under. It names no real place: a
// relative $ref ("other.json") resolves below it and is refused like any other.
const base = "promptgate-schema:///"

// ErrExternalRef is the cause of every refused reference.
var ErrExternalRef = errors.New("a schema may only refer inside itself (\"#/$defs/…\"); promptgate loads no file or URL")

// Compile compiles doc, a decoded JSON Schema (as jsonschema.UnmarshalJSON
// returns it), under name. configure may set the compiler's draft and formats;
// it runs before the loader is installed, so it cannot replace it. Standard
// meta-schemas (json-schema.org drafts) are built in; any other reference
// outside doc is an error that names the reference, never its content.
func Compile(name string, doc any, configure ...func(*jsonschema.Compiler)) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	for _, f := range configure {
		f(c)
	}
	c.UseLoader(refuse{})
	url := base + name
	if err := c.AddResource(url, doc); err != nil {
		return nil, clean(err)
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, clean(err)
	}
	return s, nil
}

// refuse is the loader: it loads nothing.
type refuse struct{}

func (refuse) Load(url string) (any, error) {
	return nil, fmt.Errorf("$ref to %s: %w", strings.TrimPrefix(url, base), ErrExternalRef)
}

// clean shortens the library's errors: the internal base URL means nothing to
// a user.
func clean(err error) error {
	var le *jsonschema.LoadURLError
	if errors.As(err, &le) && errors.Is(le.Err, ErrExternalRef) {
		return le.Err
	}
	return errors.New(strings.ReplaceAll(err.Error(), base, ""))
}
