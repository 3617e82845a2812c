package flagd

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/diag"
)

// Meta is one flat value in a flag's metadata. flagd's schema allows strings,
// numbers and booleans there; Value is a string, an int or a bool.
type Meta struct {
	Key   string
	Value any
}

func checkMeta(meta []Meta) error {
	seen := map[string]bool{}
	for _, kv := range meta {
		if kv.Key == "" || seen[kv.Key] {
			return fmt.Errorf("metadata key %q is empty or repeated", kv.Key)
		}
		seen[kv.Key] = true
		switch kv.Value.(type) {
		case string, int, bool:
		default:
			return fmt.Errorf("metadata %q: value %v is not a string, int or bool", kv.Key, kv.Value)
		}
	}
	return nil
}

// semantic is the value as encoding/json decodes it.
func (kv Meta) semantic() any {
	if n, ok := kv.Value.(int); ok {
		return float64(n)
	}
	return kv.Value
}

// text writes the value as JSON, which is also valid YAML flow text.
func (kv Meta) text() string {
	switch v := kv.Value.(type) {
	case string:
		return jsonQuote(v)
	case int:
		return strconv.Itoa(v)
	default:
		return strconv.FormatBool(kv.Value.(bool))
	}
}

// ReadMeta returns a flag's metadata as encoding/json decodes it: string,
// float64 and bool values. A flag without metadata gives an empty map.
func ReadMeta(doc []byte, f Format, flag string) (map[string]any, error) {
	sem, err := readSemantic(doc, f)
	if err != nil {
		return nil, err
	}
	flags, _ := sem["flags"].(map[string]any)
	fl, ok := flags[flag].(map[string]any)
	if !ok {
		return nil, notFound(flag, mapNode(flags))
	}
	md, _ := fl["metadata"].(map[string]any)
	if md == nil {
		md = map[string]any{}
	}
	return md, nil
}

// AllMeta returns every flag's metadata (flags without any are left out),
// reading and validating the file once.
func AllMeta(doc []byte, f Format) (map[string]map[string]any, error) {
	sem, err := readSemantic(doc, f)
	if err != nil {
		return nil, err
	}
	flags, _ := sem["flags"].(map[string]any)
	out := map[string]map[string]any{}
	for name, v := range flags {
		fl, _ := v.(map[string]any)
		if md, ok := fl["metadata"].(map[string]any); ok {
			out[name] = md
		}
	}
	return out, nil
}

// mapNode is a key-only node for notFound's list of known flags.
func mapNode(m map[string]any) *node {
	return &node{kind: kindObject, keys: slices.Sorted(maps.Keys(m))}
}

// metaEdits replaces the values of keys the flag's metadata has and adds the
// others, in the order given.
func (d *document) metaEdits(m *managedFlag, meta []Meta) ([]edit, error) {
	if len(meta) == 0 {
		return nil, nil
	}
	md := m.node.get("metadata")
	if md != nil && md.kind != kindObject {
		return nil, diag.Errorf("", md.line, "flag %q: metadata is not an object", m.name)
	}
	var edits []edit
	var add []Meta
	for _, kv := range meta {
		v := md.get(kv.Key)
		if v == nil {
			add = append(add, kv)
			continue
		}
		if v.value() == kv.semantic() {
			continue // already set, however it is spelled
		}
		start, end, err := d.scalarSpan(v, md.flow)
		if err != nil {
			return nil, diag.Errorf("", v.line, "flag %q: can't edit metadata.%s in place: %v", m.name, kv.Key, err)
		}
		edits = append(edits, edit{start, end, kv.text()})
	}
	if len(add) == 0 {
		return edits, nil
	}
	var e []edit
	var err error
	switch {
	case md != nil && len(md.keys) == 0:
		e, err = d.fillEmptyMeta(m, md, add)
	case md != nil && d.format == JSON:
		e = []edit{d.appendJSON(md, add)}
	case md != nil:
		e, err = d.appendYAML(m, md, add)
	case d.format == JSON:
		inner := members(add, `"`, ": ", ", ")
		e = []edit{d.appendJSON(m.node, []Meta{{Key: "metadata", Value: rawText("{" + inner + "}")}})}
	default:
		e, err = d.insertYAMLSection(m, "metadata", func(sub, _, nl string) string {
			var b strings.Builder
			for _, kv := range add {
				b.WriteString(sub + yamlQuote(kv.Key) + ": " + kv.text() + nl)
			}
			return b.String()
		})
	}
	return append(edits, e...), err
}

// rawText is a Meta value written as is (a nested object for appendJSON).
type rawText string

// members renders "key": value pairs joined by sep.
func members(kvs []Meta, q, colon, sep string) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		key := jsonQuote(kv.Key)
		if q == "" {
			key = yamlQuote(kv.Key)
		}
		val := ""
		if r, ok := kv.Value.(rawText); ok {
			val = string(r)
		} else {
			val = kv.text()
		}
		parts[i] = key + colon + val
	}
	return strings.Join(parts, sep)
}

// appendJSON adds members after an object's last member, copying the
// separator and colon spacing of its existing members.
func (d *document) appendJSON(obj *node, kvs []Meta) edit {
	last := len(obj.keys) - 1
	sep := ", "
	if last > 0 {
		sep = string(d.src[obj.vals[last-1].end:obj.keyStarts[last]])
	}
	colon := string(d.src[obj.keyEnds[last]:obj.vals[last].start])
	if strings.ContainsAny(colon, "\r\n") {
		colon = ": "
	}
	at := obj.vals[last].end
	return edit{at, at, sep + members(kvs, `"`, colon, sep)}
}

// fillEmptyMeta replaces an empty {} metadata object with the new values.
func (d *document) fillEmptyMeta(m *managedFlag, md *node, add []Meta) ([]edit, error) {
	start, end, err := d.emptyObjectSpan(md)
	if err != nil {
		return nil, diag.Errorf("", md.line, "flag %q: can't fill in its empty metadata: %v", m.name, err)
	}
	q := `"`
	if d.format == YAML {
		q = ""
	}
	return []edit{{start, end, "{" + members(add, q, ": ", ", ") + "}"}}, nil
}

// appendYAML adds key: value lines after a block mapping's last line.
func (d *document) appendYAML(m *managedFlag, md *node, add []Meta) ([]edit, error) {
	if md.shared || md.flow {
		return nil, diag.Errorf("", md.line,
			"flag %q: its metadata is under a YAML anchor or in flow style ({...}); write it in block style so promptgate can add keys", m.name)
	}
	at, prefix, nl, indent, _, err := d.blockEnd(md)
	if err != nil {
		return nil, diag.Errorf("", md.line, "flag %q: metadata: %v", m.name, err)
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, kv := range add {
		b.WriteString(indent + yamlQuote(kv.Key) + ": " + kv.text() + nl)
	}
	return []edit{{at, at, b.String()}}, nil
}

// scalarSpan finds the bytes of a string, number or boolean value; inFlow
// says it is inside a YAML flow collection, where "," and "}" end a plain scalar.
func (d *document) scalarSpan(n *node, inFlow bool) (int, int, error) {
	if n.kind == kindObject || n.kind == kindArray {
		return 0, 0, fmt.Errorf("it is not a flat value")
	}
	if d.format == JSON {
		return n.start, n.end, nil
	}
	start, err := d.yamlStart(n)
	if err != nil {
		return 0, 0, err
	}
	rest := d.src[start:]
	if eol := bytes.IndexAny(rest, "\r\n"); eol >= 0 {
		rest = rest[:eol]
	}
	switch rest[0] {
	case '"':
		for i := 1; i < len(rest); i++ {
			switch rest[i] {
			case '\\':
				i++
			case '"':
				return start, start + i + 1, nil
			}
		}
	case '\'':
		for i := 1; i < len(rest); i++ {
			if rest[i] == '\'' {
				if i+1 < len(rest) && rest[i+1] == '\'' {
					i++
					continue
				}
				return start, start + i + 1, nil
			}
		}
	case '|', '>', '&', '!', '*', '[', '{':
	default:
		if i := bytes.Index(rest, []byte(" #")); i >= 0 {
			rest = rest[:i]
		}
		if i := bytes.IndexAny(rest, ",}]"); inFlow && i >= 0 {
			rest = rest[:i]
		}
		return start, start + len(bytes.TrimRight(rest, " \t")), nil
	}
	return 0, 0, fmt.Errorf("it is not a one-line plain or quoted scalar")
}
