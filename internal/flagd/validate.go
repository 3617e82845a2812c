package flagd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	flagdschema "github.com/open-feature/flagd-schemas/json"
	"github.com/santhosh-tekuri/jsonschema/v6"
	schemakind "github.com/santhosh-tekuri/jsonschema/v6/kind"
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// The schema URLs are the $id values inside flagd's own schema files; the
// flags schema refers to the targeting schema relative to its $id.
const (
	flagsSchemaURL     = "https://flagd.dev/schema/v0/flags.json"
	targetingSchemaURL = "https://flagd.dev/schema/v0/targeting.json"
)

// schema is flagd's published flag-definition schema, compiled once. It comes
// from the github.com/open-feature/flagd-schemas module (the same copy flagd
// embeds), so validation needs no network.
var schema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	for url, text := range map[string]string{
		flagsSchemaURL:     flagdschema.FlagSchema,
		targetingSchemaURL: flagdschema.TargetingSchema,
	} {
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			return nil, fmt.Errorf("decode flagd schema %s: %w", url, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			return nil, fmt.Errorf("add flagd schema %s: %w", url, err)
		}
	}
	s, err := c.Compile(flagsSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile flagd schema: %w", err)
	}
	return s, nil
})

// Validate reports whether doc is a flags file flagd will load: it must parse,
// conform to flagd's JSON schema (flags.json and targeting.json), and every
// flag's defaultVariant must name one of its variants (flagd refuses the whole
// file otherwise). It is stricter than flagd in one way: duplicate keys, which
// flagd silently collapses, are an error. Input problems are *diag.Error values
// with the line set and the file left empty; see InFile.
func Validate(doc []byte, f Format) error {
	_, err := readSemantic(doc, f)
	return err
}

// readSemantic returns the document the way flagd reads it (YAML converted to
// JSON exactly as flagd does it) after checking it is valid.
func readSemantic(doc []byte, f Format) (map[string]any, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, diag.Errorf("", 0, "flags file is empty")
	}
	var (
		jsonDoc []byte
		root    *node
		err     error
	)
	switch f {
	case YAML:
		// flagd converts YAML with yaml.v3 into map[string]interface{} and then
		// encoding/json; doing the same keeps every corner case identical.
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, diag.Errorf("", yamlErrorLine(err), "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if m == nil {
			return nil, diag.Errorf("", 0, "flags file is empty")
		}
		jsonDoc, err = json.Marshal(m)
		if err != nil {
			return nil, diag.Errorf("", 0, "flags file cannot be converted to JSON the way flagd does: %v", err)
		}
		root, _ = parseYAML(doc) // only for line numbers in schema errors
	default:
		// Our scanner first: it gives line numbers and rejects duplicate keys.
		if root, err = parseJSON(doc); err != nil {
			return nil, err
		}
		jsonDoc = doc
	}
	var sem map[string]any
	if err := json.Unmarshal(jsonDoc, &sem); err != nil {
		return nil, diag.Errorf("", 0, "flags file must be a JSON object: %v", err)
	}
	// Variant problems first: the schema reports them as an unreadable
	// "oneOf failed" across the four flag types.
	if err := checkVariants(sem, root); err != nil {
		return nil, err
	}
	if err := checkSchema(jsonDoc, root); err != nil {
		return nil, err
	}
	if err := checkDefaultVariants(sem, root); err != nil {
		return nil, err
	}
	return sem, nil
}

func checkSchema(jsonDoc []byte, root *node) error {
	s, err := schema()
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(jsonDoc))
	if err != nil {
		return diag.Errorf("", 0, "decode flags file for schema check: %v", err)
	}
	err = s.Validate(inst)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		leaf := deepestCause(ve)
		return diag.Errorf("", lineAt(root, leaf.InstanceLocation),
			"not a valid flagd flags file (schema %s): %s", flagsSchemaURL, leaf.Error())
	}
	if err != nil {
		return fmt.Errorf("validate flags file against flagd schema: %w", err)
	}
	return nil
}

// deepestCause picks the most specific failure. A flag is checked against
// four flag types (oneOf), so every real problem comes with three type
// mismatches on its variants from the types it is not; checkVariants has
// already ruled those out, so they are skipped. Of the rest, the deepest
// instance location is nearly always the line the user has to fix.
func deepestCause(e *jsonschema.ValidationError) *jsonschema.ValidationError {
	var best, fallback *jsonschema.ValidationError
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		if fallback == nil || len(e.InstanceLocation) > len(fallback.InstanceLocation) {
			fallback = e
		}
		if isVariantTypeMismatch(e) {
			return
		}
		if best == nil || len(e.InstanceLocation) > len(best.InstanceLocation) {
			best = e
		}
	}
	walk(e)
	if best == nil {
		return fallback
	}
	return best
}

func isVariantTypeMismatch(e *jsonschema.ValidationError) bool {
	loc := e.InstanceLocation
	if len(loc) != 4 || loc[0] != "flags" || loc[2] != "variants" {
		return false
	}
	_, ok := e.ErrorKind.(*schemakind.Type)
	return ok
}

// checkVariants requires every flag to have variants of one JSON type, which
// is what the schema's four flag types amount to.
func checkVariants(sem map[string]any, root *node) error {
	flags, _ := sem["flags"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		flag, ok := flags[name].(map[string]any)
		if !ok {
			continue // the schema reports it
		}
		variants, _ := flag["variants"].(map[string]any)
		if len(variants) == 0 {
			return diag.Errorf("", lineAt(root, []string{"flags", name}),
				"flag %q has no variants; give it a \"variants\" object with at least one entry", name)
		}
		first, firstType := "", ""
		for _, v := range slices.Sorted(maps.Keys(variants)) {
			typ := jsonType(variants[v])
			switch {
			case typ == "null" || typ == "array":
				return diag.Errorf("", lineAt(root, []string{"flags", name, "variants", v}),
					"flag %q: variant %q is %s; flagd variants are booleans, strings, numbers or objects", name, v, typ)
			case first == "":
				first, firstType = v, typ
			case typ != firstType:
				return diag.Errorf("", lineAt(root, []string{"flags", name, "variants", v}),
					"flag %q mixes variant types (%q is a %s, %q is a %s); all variants of a flag must have one type",
					name, first, firstType, v, typ)
			}
		}
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	default:
		return "null"
	}
}

// lineAt returns the line of the value at a JSON-pointer path, or the line of
// its nearest ancestor that exists, or 0.
func lineAt(root *node, path []string) int {
	if root == nil {
		return 0
	}
	n, line := root, root.line
	for _, p := range path {
		switch n.kind {
		case kindObject:
			i := n.index(p)
			if i < 0 {
				return line
			}
			n = n.vals[i]
		case kindArray:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(n.vals) {
				return line
			}
			n = n.vals[i]
		default:
			return line
		}
		line = n.line
	}
	return line
}

func checkDefaultVariants(sem map[string]any, root *node) error {
	flags, _ := sem["flags"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		flag, _ := flags[name].(map[string]any)
		dv, ok := flag["defaultVariant"].(string)
		if !ok || dv == "" {
			continue
		}
		variants, _ := flag["variants"].(map[string]any)
		if _, ok := variants[dv]; !ok {
			return diag.Errorf("", lineAt(root, []string{"flags", name, "defaultVariant"}),
				"flag %q: defaultVariant %q is not one of its variants (%s); flagd refuses to load the file",
				name, dv, strings.Join(slices.Sorted(maps.Keys(variants)), ", "))
		}
	}
	return nil
}

var yamlLineRE = regexp.MustCompile(`line (\d+):`)

// yamlErrorLine digs the line number out of a yaml.v3 error message, which is
// the only place yaml.v3 reports it.
func yamlErrorLine(err error) int {
	m := yamlLineRE.FindStringSubmatch(err.Error())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
