package flagd

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/promptgate/promptgate/internal/diag"
)

// maxDepth bounds nesting so a hostile document cannot exhaust the stack; it
// matches encoding/json's own limit.
const maxDepth = 10000

// jsonScanner parses JSON into a node tree that remembers byte offsets. It
// accepts exactly the documents encoding/json accepts, except that it rejects
// duplicate object keys: encoding/json silently keeps the last one, and an
// editor that might change the "wrong" copy must not guess.
type jsonScanner struct {
	src   []byte
	pos   int
	line  int
	lineS int // byte offset where the current line starts
	depth int
}

func parseJSON(src []byte) (*node, error) {
	s := &jsonScanner{src: src, line: 1}
	s.space()
	n, err := s.value()
	if err != nil {
		return nil, err
	}
	s.space()
	if s.pos != len(s.src) {
		return nil, s.errorf("unexpected %s after the top-level value", s.what())
	}
	return n, nil
}

func (s *jsonScanner) errorf(format string, args ...any) error {
	return diag.Errorf("", s.line, "invalid JSON: "+format, args...)
}

// what describes the byte at the cursor for error messages.
func (s *jsonScanner) what() string {
	if s.pos >= len(s.src) {
		return "end of file"
	}
	return strconv.QuoteRune(rune(s.src[s.pos]))
}

func (s *jsonScanner) space() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case '\n':
			s.line++
			s.lineS = s.pos + 1
		case ' ', '\t', '\r':
		default:
			return
		}
		s.pos++
	}
}

func (s *jsonScanner) col() int {
	return utf8.RuneCount(s.src[s.lineS:s.pos]) + 1
}

func (s *jsonScanner) value() (*node, error) {
	if s.pos >= len(s.src) {
		return nil, s.errorf("unexpected end of file, want a value")
	}
	n := &node{line: s.line, col: s.col(), start: s.pos}
	var err error
	switch c := s.src[s.pos]; {
	case c == '{':
		err = s.object(n)
	case c == '[':
		err = s.array(n)
	case c == '"':
		n.kind = kindString
		n.str, err = s.str()
	case c == '-' || (c >= '0' && c <= '9'):
		n.kind = kindNumber
		err = s.number(n)
	case c == 't':
		n.kind, n.b = kindBool, true
		err = s.literal("true")
	case c == 'f':
		n.kind = kindBool
		err = s.literal("false")
	case c == 'n':
		n.kind = kindNull
		err = s.literal("null")
	default:
		err = s.errorf("unexpected %s, want a value", s.what())
	}
	if err != nil {
		return nil, err
	}
	n.end = s.pos
	return n, nil
}

func (s *jsonScanner) literal(word string) error {
	if len(s.src)-s.pos < len(word) || string(s.src[s.pos:s.pos+len(word)]) != word {
		return s.errorf("unexpected %s, want a value", s.what())
	}
	s.pos += len(word)
	return nil
}

func (s *jsonScanner) enter() error {
	s.depth++
	if s.depth > maxDepth {
		return s.errorf("nesting deeper than %d levels", maxDepth)
	}
	return nil
}

func (s *jsonScanner) object(n *node) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	n.kind = kindObject
	s.pos++ // {
	s.space()
	if s.pos < len(s.src) && s.src[s.pos] == '}' {
		s.pos++
		return nil
	}
	seen := map[string]bool{}
	for {
		if s.pos >= len(s.src) || s.src[s.pos] != '"' {
			return s.errorf("unexpected %s, want a quoted object key", s.what())
		}
		keyLine, keyCol, keyStart := s.line, s.col(), s.pos
		key, err := s.str()
		if err != nil {
			return err
		}
		if seen[key] {
			return diag.Errorf("", keyLine, "duplicate key %q: flagd would silently use only the last one; remove one of them", key)
		}
		seen[key] = true
		keyEnd := s.pos
		s.space()
		if s.pos >= len(s.src) || s.src[s.pos] != ':' {
			return s.errorf("unexpected %s after object key %q, want ':'", s.what(), key)
		}
		s.pos++
		s.space()
		v, err := s.value()
		if err != nil {
			return err
		}
		n.keys = append(n.keys, key)
		n.keyStarts = append(n.keyStarts, keyStart)
		n.keyEnds = append(n.keyEnds, keyEnd)
		n.keyLines = append(n.keyLines, keyLine)
		n.keyCols = append(n.keyCols, keyCol)
		n.vals = append(n.vals, v)
		s.space()
		if s.pos >= len(s.src) {
			return s.errorf("unexpected end of file in object, want ',' or '}'")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.space()
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("unexpected %s in object, want ',' or '}'", s.what())
		}
	}
}

func (s *jsonScanner) array(n *node) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer func() { s.depth-- }()
	n.kind = kindArray
	s.pos++ // [
	s.space()
	if s.pos < len(s.src) && s.src[s.pos] == ']' {
		s.pos++
		return nil
	}
	for {
		v, err := s.value()
		if err != nil {
			return err
		}
		n.vals = append(n.vals, v)
		s.space()
		if s.pos >= len(s.src) {
			return s.errorf("unexpected end of file in array, want ',' or ']'")
		}
		switch s.src[s.pos] {
		case ',':
			s.pos++
			s.space()
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("unexpected %s in array, want ',' or ']'", s.what())
		}
	}
}

// str scans a string token and returns its decoded value.
func (s *jsonScanner) str() (string, error) {
	start := s.pos
	s.pos++ // opening quote
	plain := true
	for {
		if s.pos >= len(s.src) {
			return "", s.errorf("unterminated string")
		}
		c := s.src[s.pos]
		switch {
		case c == '"':
			s.pos++
			raw := s.src[start:s.pos]
			if plain {
				return string(raw[1 : len(raw)-1]), nil
			}
			// Escapes and non-ASCII text: let encoding/json decode them, so
			// invalid UTF-8 is replaced exactly the way flagd will see it.
			var v string
			if err := json.Unmarshal(raw, &v); err != nil {
				return "", s.errorf("bad string: %v", err)
			}
			return v, nil
		case c == '\\':
			plain = false
			if s.pos+1 >= len(s.src) {
				return "", s.errorf("unterminated string")
			}
			switch s.src[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.src) || !isHex4(s.src[s.pos+2:s.pos+6]) {
					return "", s.errorf("bad \\u escape in string")
				}
				s.pos += 6
			default:
				return "", s.errorf("bad escape \\%c in string", s.src[s.pos+1])
			}
		case c < 0x20:
			return "", s.errorf("control character %q in string", c)
		default:
			if c >= 0x80 {
				plain = false
			}
			s.pos++
		}
	}
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *jsonScanner) number(n *node) error {
	start := s.pos
	digits := func() int {
		d := 0
		for s.pos < len(s.src) && s.src[s.pos] >= '0' && s.src[s.pos] <= '9' {
			s.pos++
			d++
		}
		return d
	}
	if s.src[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.src) && s.src[s.pos] == '0':
		s.pos++
	case digits() == 0:
		return s.errorf("bad number")
	}
	if s.pos < len(s.src) && s.src[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return s.errorf("bad number: no digits after '.'")
		}
	}
	if s.pos < len(s.src) && (s.src[s.pos] == 'e' || s.src[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.src) && (s.src[s.pos] == '+' || s.src[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.errorf("bad number: no digits in exponent")
		}
	}
	n.text = string(s.src[start:s.pos])
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil {
		return s.errorf("number %s is out of range", n.text)
	}
	n.num = f
	return nil
}
