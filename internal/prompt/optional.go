package prompt

import (
	"reflect"
	"slices"
)

// jsonSchemaTypes are the top-level types that make dotprompt read a schema
// as JSON Schema rather than Picoschema.
var jsonSchemaTypes = []string{"any", "array", "boolean", "integer", "null", "number", "object", "string"}

// isPicoschema says dotprompt converts pico as Picoschema: a JSON Schema
// (a known top-level type, or properties) is passed through as written.
func isPicoschema(pico any) bool {
	m, ok := pico.(map[string]any)
	if !ok {
		return false
	}
	if t, ok := m["type"].(string); ok && slices.Contains(jsonSchemaTypes, t) {
		return false
	}
	_, props := m["properties"].(map[string]any)
	return !props
}

// nullableOptionals gives every optional Picoschema field (`name?: T`) the
// form Dotprompt's reference converter gives it: not required, and
// `type: [T, "null"]`. The Go converter writes it as `anyOf: [T, null]`
// next to `type: T` (and the whole of T repeated beside it), which no
// null satisfies, so a model that sends null for an optional field failed
// its own tool's schema. A node is rewritten only in exactly that shape:
// anyOf of T and {"type": "null"}, T's keys all repeated in the node, and
// the node's own type absent or T's.
func nullableOptionals(v any) {
	switch v := v.(type) {
	case map[string]any:
		if t, ok := optionalOf(v); ok {
			delete(v, "anyOf")
			v["type"] = []any{t, "null"}
		}
		for _, x := range v {
			nullableOptionals(x)
		}
	case []any:
		for _, x := range v {
			nullableOptionals(x)
		}
	}
}

// optionalOf is T when node is the Go converter's optional field of type T.
func optionalOf(node map[string]any) (string, bool) {
	any2, ok := node["anyOf"].([]any)
	if !ok || len(any2) != 2 {
		return "", false
	}
	inner, ok := any2[0].(map[string]any)
	null, okNull := any2[1].(map[string]any)
	if !ok || !okNull || len(null) != 1 || null["type"] != "null" {
		return "", false
	}
	t, ok := inner["type"].(string)
	if !ok || t == "null" {
		return "", false
	}
	if own, has := node["type"]; has && own != t {
		return "", false
	}
	for k, x := range inner {
		if k != "type" && !reflect.DeepEqual(node[k], x) {
			return "", false
		}
	}
	return t, true
}
