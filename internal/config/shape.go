package config

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// checkShape walks the YAML tree against the raw types before decoding, so an
// unknown key or a value of the wrong type is reported with its key path
// (gate.max_cost_increase_pct), its line, a did-you-mean and the type wanted,
// rather than as the decoder's "field x not found in type config.rawGate".
// The raw types are the single source of the allowed keys, so a key added
// there is accepted here with no second list to keep in step.
func checkShape(file string, root *yaml.Node) diag.List {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	var errs diag.List
	shapeNode(file, root.Content[0], reflect.TypeFor[rawConfig](), "", &errs)
	return errs
}

func shapeNode(file string, n *yaml.Node, t reflect.Type, path string, errs *diag.List) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode || n.Tag == "!!null" {
		return // an alias is checked where it is defined; null leaves the default
	}
	if t.Kind() == reflect.Interface || reflect.PointerTo(t).Implements(unmarshalerType) {
		return // any value, or a type that decodes itself: the decoder judges it
	}
	bad := func() {
		*errs = append(*errs, diag.Errorf(file, n.Line, "%s: want %s, got %s", displayPath(path), wantText(t), gotText(n)))
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			bad()
			return
		}
		fields := structFields(t)
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			ft, ok := fields[k.Value]
			if !ok {
				*errs = append(*errs, diag.Errorf(file, k.Line, "%s: unknown key%s; %s: %s", joinPath(path, k.Value),
					diag.DidYouMean(k.Value, names), keysOf(path), strings.Join(slices.Sorted(maps.Keys(fields)), ", ")))
				continue
			}
			shapeNode(file, n.Content[i+1], ft, joinPath(path, k.Value), errs)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			bad()
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			shapeNode(file, n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value), errs)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			bad()
			return
		}
		for i, item := range n.Content {
			shapeNode(file, item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), errs)
		}
	default:
		if n.Kind != yaml.ScalarNode || n.Decode(reflect.New(t).Interface()) != nil {
			bad()
		}
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

// structFields maps each yaml key of a raw struct to its field type.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" && opts == "inline" && f.Type.Kind() == reflect.Struct {
			// An inlined struct's keys sit in the parent mapping.
			for k, ft := range structFields(f.Type) {
				out[k] = ft
			}
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "the file"
	}
	return path
}

func keysOf(path string) string {
	if path == "" {
		return "top-level keys are"
	}
	return path + " takes"
}

// wantText names a raw type the way a YAML user thinks of it.
func wantText(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	case reflect.Slice:
		if elem := wantText(t.Elem()); strings.HasPrefix(elem, "a ") && !strings.Contains(elem, " of ") {
			return "a list of " + strings.TrimPrefix(elem, "a ") + "s"
		}
		return "a list"
	default:
		return "a mapping of keys to values"
	}
}

func gotText(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}
