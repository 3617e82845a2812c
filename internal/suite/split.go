package suite

import (
	"bytes"

	"gopkg.in/yaml.v3"
)

// A YAML tree costs about 3 KB per ordinary test case, and the parse makes as
// much again in garbage, so parsing a 5,000-case suite whole peaks near 30 MB
// of heap. Most suites are written in block style, with `tests:` as a top-level
// key and one `- ` item per case at a fixed indentation; for those, the items
// can be cut apart by their indentation and parsed a batch at a time, and the
// small header (prompt, threshold, defaultTest…) is parsed as a document of its
// own. Anything the cut cannot prove safe falls back to parsing the file whole.

// itemsPerParse is how many test items are parsed as one YAML document: enough
// to spread the parser's fixed cost, few enough that the tree stays small.
const itemsPerParse = 64

// splitFile is a suite file cut into its header and its test items.
type splitFile struct {
	// header is the file without the test items; `tests:` is left with no value.
	header []byte
	// testsLine is the 1-based line of `tests:`, and removed the number of
	// lines cut out after it, so header lines after testsLine are that many
	// lines further down in the file.
	testsLine, removed int
	items              []chunk
}

// chunk is one test item: data[start:end] of the file, starting on line.
type chunk struct {
	start, end, line int
}

// splitTests cuts data at the items of a top-level block sequence under a
// `tests:` line. ok is false when the file does not have that plain layout.
// The cut only decides where items begin and end; the caller still parses
// every piece with the real YAML parser and falls back on any surprise.
func splitTests(data []byte) (sf splitFile, ok bool) {
	var (
		line        int  // 1-based number of the current line
		inRegion    bool // after the `tests:` line, among its items
		indent      = -1 // column of the items' dashes, once known
		regionStart int
		cur         = -1 // index in sf.items of the item being read
	)
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		next := len(data)
		if end >= 0 {
			next = off + end + 1
		}
		line++
		text := bytes.TrimRight(data[off:next], "\r\n")
		if !inRegion {
			if isTestsKey(text) {
				inRegion, regionStart, sf.testsLine = true, next, line
			}
			off = next
			continue
		}
		trimmed := bytes.TrimLeft(text, " ")
		col := len(text) - len(trimmed)
		if bytes.HasPrefix(trimmed, []byte("\t")) {
			return sf, false // tabs cannot indent YAML; let the parser say so
		}
		if len(trimmed) == 0 || trimmed[0] == '#' {
			// Blank and comment lines never start or end an item: they stay
			// with the item before them, where a block scalar may own them.
			off = next
			continue
		}
		isItem := trimmed[0] == '-' && (len(trimmed) == 1 || trimmed[1] == ' ')
		if indent < 0 {
			if !isItem {
				return sf, false // `tests:` holds something other than a block list
			}
			indent = col
		}
		switch {
		case col == indent && isItem:
			if cur >= 0 {
				sf.items[cur].end = off
			}
			start := off
			if cur < 0 {
				start = regionStart // leading comments go with the first item
			}
			sf.items = append(sf.items, chunk{start: start, line: line})
			cur++
		case col > indent:
			// Inside the current item.
		default:
			return finishSplit(data, sf, regionStart, off, cur)
		}
		off = next
	}
	if !inRegion {
		return sf, false
	}
	return finishSplit(data, sf, regionStart, len(data), cur)
}

// finishSplit closes the last item at regionEnd and builds the header.
func finishSplit(data []byte, sf splitFile, regionStart, regionEnd, cur int) (splitFile, bool) {
	if cur < 0 {
		return sf, false
	}
	sf.items[cur].end = regionEnd
	// The first item's chunk may start with comment lines; count from the
	// line after `tests:` so the item's own lines come out right.
	sf.items[0].line = sf.testsLine + 1
	sf.removed = bytes.Count(data[regionStart:regionEnd], []byte("\n"))
	if regionEnd == len(data) && regionEnd > regionStart && data[regionEnd-1] != '\n' {
		sf.removed++ // a last line without a newline is a line too
	}
	sf.header = make([]byte, 0, regionStart+len(data)-regionEnd)
	sf.header = append(append(sf.header, data[:regionStart]...), data[regionEnd:]...)
	return sf, true
}

// isTestsKey reports whether a line is exactly a top-level `tests:` key with no
// value on it (a trailing comment is allowed).
func isTestsKey(text []byte) bool {
	rest, ok := bytes.CutPrefix(text, []byte("tests:"))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " ")
	return len(rest) == 0 || rest[0] == '#' && len(rest) < len(text)-len("tests:")
}

// parseSplit parses a suite item by item when splitTests can cut it, and
// returns nil whenever the result might differ from parsing the file whole,
// including when the file has any problem, so that the errors come from
// parseWhole.
func parseSplit(path string, data []byte) *Suite {
	sf, ok := splitTests(data)
	if !ok {
		return nil
	}
	p := &parser{path: path}
	var doc yaml.Node
	if yaml.Unmarshal(sf.header, &doc) != nil {
		return nil
	}
	shiftLines(&doc, sf.testsLine, sf.removed)
	s, def, root, testsNode, err := p.header(&doc)
	if err != nil || len(p.errs) > 0 || testsNode == nil || testsNode.Kind != yaml.ScalarNode ||
		testsNode.Tag != "!!null" || testsNode.Value != "" || testsKeyLine(root) != sf.testsLine {
		return nil
	}
	for first := 0; first < len(sf.items); first += itemsPerParse {
		batch := sf.items[first:min(first+itemsPerParse, len(sf.items))]
		var doc yaml.Node
		if yaml.Unmarshal(data[batch[0].start:batch[len(batch)-1].end], &doc) != nil || len(doc.Content) != 1 {
			return nil
		}
		seq := doc.Content[0]
		if seq.Kind != yaml.SequenceNode || seq.Style&yaml.FlowStyle != 0 || len(seq.Content) != len(batch) {
			return nil
		}
		shiftLines(seq, 0, batch[0].line-1)
		for k, item := range seq.Content {
			tc, ok := p.testCase(first+k, item, def)
			if !ok || len(p.errs) > 0 {
				return nil
			}
			s.Tests = append(s.Tests, tc)
		}
	}
	return s
}

// testsKeyLine is the line of the root mapping's `tests` key, 0 when absent.
func testsKeyLine(root *yaml.Node) int {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Value == "tests" {
			return k.Line
		}
	}
	return 0
}

// shiftLines moves every node of the tree that lies after line `after` down by
// delta lines.
func shiftLines(n *yaml.Node, after, delta int) {
	if delta == 0 {
		return
	}
	if n.Line > after {
		n.Line += delta
	}
	for _, c := range n.Content {
		shiftLines(c, after, delta)
	}
}
