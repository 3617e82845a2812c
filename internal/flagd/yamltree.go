package flagd

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// maxNodes bounds the tree built from YAML, where aliases can make a small
// file describe a huge value.
const maxNodes = 1 << 20

type yamlReader struct {
	count int
}

// parseYAML builds a node tree from the first YAML document with each
// node's line and column; byte spans are found later with yamlSpan.
func parseYAML(src []byte) (*node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, diag.Errorf("", yamlErrorLine(err), "invalid YAML: %v", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, diag.Errorf("", 0, "flags file is empty")
	}
	r := &yamlReader{}
	return r.convert(doc.Content[0], false, 0)
}

func (r *yamlReader) convert(y *yaml.Node, shared bool, depth int) (*node, error) {
	r.count++
	if depth > maxDepth || r.count > maxNodes {
		return nil, diag.Errorf("", y.Line, "YAML document is nested or aliased too deeply")
	}
	shared = shared || y.Anchor != ""
	n := &node{line: y.Line, col: y.Column, start: -1, end: -1, shared: shared, flow: y.Style&yaml.FlowStyle != 0}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, diag.Errorf("", y.Line, "unknown YAML alias *%s", y.Value)
		}
		a, err := r.convert(y.Alias, true, depth+1)
		if err != nil {
			return nil, err
		}
		// Report the alias's own position, not the anchor's.
		a.line, a.col = y.Line, y.Column
		return a, nil
	case yaml.ScalarNode:
		v, err := yamlScalar(y)
		if err != nil {
			return nil, err
		}
		switch v := v.(type) {
		case nil:
			n.kind = kindNull
		case bool:
			n.kind, n.b = kindBool, v
		case float64:
			n.kind, n.num, n.text = kindNumber, v, y.Value
		case string:
			n.kind, n.str = kindString, v
		default:
			return nil, diag.Errorf("", y.Line, "YAML value %q has no JSON equivalent", y.Value)
		}
	case yaml.SequenceNode:
		n.kind = kindArray
		for _, c := range y.Content {
			v, err := r.convert(c, shared, depth+1)
			if err != nil {
				return nil, err
			}
			n.vals = append(n.vals, v)
		}
	case yaml.MappingNode:
		n.kind = kindObject
		seen := map[string]bool{}
		for i := 0; i+1 < len(y.Content); i += 2 {
			k := y.Content[i]
			if k.Kind == yaml.AliasNode && k.Alias != nil {
				k = k.Alias
			}
			if k.ShortTag() == "!!merge" {
				return nil, diag.Errorf("", k.Line, "YAML merge keys (<<) are not supported in flags files; write the keys out")
			}
			if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
				return nil, diag.Errorf("", k.Line, "mapping key %q is not a string; flagd needs string keys", k.Value)
			}
			key, err := yamlScalar(k)
			if err != nil {
				return nil, err
			}
			ks, _ := key.(string)
			if seen[ks] {
				return nil, diag.Errorf("", k.Line, "duplicate key %q", ks)
			}
			seen[ks] = true
			v, err := r.convert(y.Content[i+1], shared, depth+1)
			if err != nil {
				return nil, err
			}
			n.keys = append(n.keys, ks)
			n.keyLines = append(n.keyLines, y.Content[i].Line)
			n.keyCols = append(n.keyCols, y.Content[i].Column)
			n.vals = append(n.vals, v)
		}
	default:
		return nil, diag.Errorf("", y.Line, "unexpected YAML node")
	}
	return n, nil
}

// yamlScalar decodes a scalar and passes it through encoding/json, the same
// conversion flagd applies, so the tree's values match what flagd sees.
func yamlScalar(y *yaml.Node) (any, error) {
	var v any
	if err := y.Decode(&v); err != nil {
		return nil, diag.Errorf("", y.Line, "bad YAML value %q: %v", y.Value, err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, diag.Errorf("", y.Line, "YAML value %q has no JSON equivalent: %v", y.Value, err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, diag.Errorf("", y.Line, "YAML value %q has no JSON equivalent: %v", y.Value, err)
	}
	return out, nil
}

var bom = []byte("\xef\xbb\xbf")

// lineStarts returns the byte offset of each line the way yaml.v3 counts
// lines: CRLF, CR, LF, NEL, LS and PS all break a line, and a leading
// byte-order mark is not part of column 1.
func lineStarts(src []byte) []int {
	starts := []int{0}
	if bytes.HasPrefix(src, bom) {
		starts[0] = len(bom)
	}
	for i := starts[0]; i < len(src); {
		w := 0
		switch {
		case src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n':
			w = 2
		case src[i] == '\r' || src[i] == '\n':
			w = 1
		case bytes.HasPrefix(src[i:], []byte("\u0085")), bytes.HasPrefix(src[i:], []byte("\u2028")), bytes.HasPrefix(src[i:], []byte("\u2029")):
			_, w = utf8.DecodeRune(src[i:])
		}
		if w == 0 {
			i++
			continue
		}
		i += w
		starts = append(starts, i)
	}
	return starts
}

// offsetOf converts a yaml.v3 1-based line and rune column to a byte offset,
// or -1 when the position is outside the document.
func offsetOf(src []byte, starts []int, line, col int) int {
	if line < 1 || line > len(starts) || col < 1 {
		return -1
	}
	off := starts[line-1]
	for c := 1; c < col; c++ {
		if off >= len(src) {
			return -1
		}
		_, w := utf8.DecodeRune(src[off:])
		off += w
	}
	return off
}
