package assert

import (
	"errors"
	"strings"

	"gopkg.in/yaml.v3"
)

// promptfoo finds JSON in an output loosely: it takes every '{' as a
// candidate start, extends it by counting braces (not minding strings), closes
// a candidate cut off by the end of the output, turns // comments into YAML
// comments, and parses it as YAML. So unquoted keys, single quotes, trailing
// commas and comments are accepted, objects inside arrays are found, and a
// top-level array is not itself a match. extractJSONObjects does the same.

// maxJSONObjectBytes bounds one candidate, as promptfoo does.
const maxJSONObjectBytes = 100_000

// maxJSONStarts bounds the candidate starts tried in one output, so a long
// output full of unbalanced braces cannot make grading quadratic.
const maxJSONStarts = 256

func extractJSONObjects(s string) []map[string]any {
	var found []map[string]any
	tries := 0
	for i := 0; i < len(s) && tries < maxJSONStarts; i++ {
		if s[i] != '{' {
			continue
		}
		tries++
		open, closed := 1, 0
		end := min(len(s), i+maxJSONObjectBytes)
		for j := i + 1; j < end && open > closed; {
			switch s[j] {
			case '{':
				open++
			case '}':
				closed++
			}
			j++
			if open != closed && j != len(s) && j != i+maxJSONObjectBytes {
				continue
			}
			candidate := s[i:j] + strings.Repeat("}", max(open-closed, 0))
			if obj, ok := parseLooseObject(candidate); ok {
				found = append(found, obj)
				i = j - 1
				break
			}
			if open == closed {
				break
			}
		}
	}
	return found
}

// parseLooseObject parses one candidate as YAML and keeps it when it is a
// mapping.
func parseLooseObject(candidate string) (map[string]any, bool) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(slashCommentsToHash(candidate)), &doc); err != nil || len(doc.Content) != 1 {
		return nil, false
	}
	v, err := nodeValue(doc.Content[0], 0)
	if err != nil {
		return nil, false
	}
	m, ok := v.(map[string]any)
	return m, ok
}

// nodeValue decodes a YAML node like a JSON-minded YAML loader: a repeated
// key keeps its last value (yaml.v3 would refuse it), keys become strings.
func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, errors.New("nested too deeply")
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := nodeValue(n.Content[i], depth+1)
			if err != nil {
				return nil, err
			}
			v, err := nodeValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			m[jsString(k)] = v
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.AliasNode:
		return nil, errors.New("aliases are not JSON")
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	return jsonValue(v), nil
}

// slashCommentsToHash turns // comments outside quotes into # comments (a
// // inside a URL such as https:// is kept), as promptfoo does before parsing.
func slashCommentsToHash(s string) string {
	if !strings.Contains(s, "//") {
		return s
	}
	lines := strings.Split(s, "\n")
	for n, line := range lines {
		lines[n] = lineCommentToHash(line)
	}
	return strings.Join(lines, "\n")
}

func lineCommentToHash(line string) string {
	const (
		normal = iota
		single
		double
	)
	state := normal
	isLetter := func(b byte) bool { return b|0x20 >= 'a' && b|0x20 <= 'z' }
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch state {
		case normal:
			switch {
			case c == '\'' && (i == 0 || !isLetter(line[i-1])):
				state = single
			case c == '"':
				state = double
			case c == '/' && i+1 < len(line) && line[i+1] == '/':
				start := strings.LastIndexAny(line[:i], " \t\n\r\v\f") + 1
				if strings.Contains(line[start:min(i+2, len(line))], "://") {
					return line
				}
				n := 2
				for i+n < len(line) && line[i+n] == '/' {
					n++
				}
				return line[:i] + strings.Repeat("#", n/2) + line[i+n:]
			}
		case single:
			if c == '\'' && !escaped(line, i) && (i+1 >= len(line) || !isLetter(line[i+1])) {
				state = normal
			}
		case double:
			if c == '"' && !escaped(line, i) {
				state = normal
			}
		}
	}
	return line
}

func escaped(line string, quote int) bool {
	n := 0
	for i := quote - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}
