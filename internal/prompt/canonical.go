package prompt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// canonicalSchema rewrites a JSON Schema converted from YAML into one fixed
// form: object keys sorted and every "required" list sorted. The YAML is
// decoded into Go maps before the Picoschema conversion, whose iteration
// order is random, so the same file could otherwise give a different
// "properties" order or "required" list on each load, and a tool's schema
// is part of every request (and of its cache key). Neither order means
// anything in JSON Schema. A schema converted from Picoschema (pico) also
// gets its optional fields in Dotprompt's form (nullableOptionals).
func canonicalSchema(raw []byte, pico bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical schema: %w", err)
	}
	if pico {
		nullableOptionals(v)
	}
	sortRequired(v)
	return json.Marshal(v) // encoding/json writes map keys sorted
}

func sortRequired(v any) {
	switch v := v.(type) {
	case map[string]any:
		if req, ok := v["required"].([]any); ok && !slices.ContainsFunc(req, func(x any) bool { _, s := x.(string); return !s }) {
			slices.SortFunc(req, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		}
		for _, x := range v {
			sortRequired(x)
		}
	case []any:
		for _, x := range v {
			sortRequired(x)
		}
	}
}
