package flagd

// kind is the JSON data type of a node.
type kind int

const (
	kindNull kind = iota
	kindBool
	kindNumber
	kindString
	kindArray
	kindObject
)

// node is one value of a flags document with the source position needed to
// edit it in place. Both the JSON scanner and the YAML reader build these, so
// the flag logic is written once for both formats.
type node struct {
	kind kind
	line int // 1-based line of the value's first byte
	col  int // 1-based column (runes); used by YAML to find a scalar's bytes

	// start and end are the value's byte span in the document. The JSON scanner
	// always sets them; the YAML reader leaves them -1 and they are computed on
	// demand from line and col for the few scalars that get edited.
	start, end int

	str  string  // kindString
	num  float64 // kindNumber
	text string  // kindNumber: the literal as written
	b    bool    // kindBool

	keys      []string // kindObject, in document order
	keyStarts []int    // JSON: byte offset of each key's opening quote
	keyEnds   []int    // JSON: byte offset just past each key's closing quote
	keyLines  []int    // line of each key
	keyCols   []int    // column of each key
	vals      []*node  // kindObject values (parallel to keys) or kindArray items

	// shared marks YAML nodes under an anchor or reached through an alias:
	// editing their bytes would also change every other place that uses them.
	shared bool
	// flow marks YAML collections written in flow style ({...} or [...]).
	flow bool
}

// get returns the value for key in an object node, or nil.
func (n *node) get(key string) *node {
	if n == nil || n.kind != kindObject {
		return nil
	}
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// index returns the position of key in an object node, or -1.
func (n *node) index(key string) int {
	if n == nil || n.kind != kindObject {
		return -1
	}
	for i, k := range n.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// value converts the tree to the plain values encoding/json produces, so it
// can be compared with how flagd itself reads the document.
func (n *node) value() any {
	switch n.kind {
	case kindBool:
		return n.b
	case kindNumber:
		return n.num
	case kindString:
		return n.str
	case kindArray:
		out := make([]any, len(n.vals))
		for i, v := range n.vals {
			out[i] = v.value()
		}
		return out
	case kindObject:
		out := make(map[string]any, len(n.keys))
		for i, k := range n.keys {
			out[k] = n.vals[i].value()
		}
		return out
	default:
		return nil
	}
}
