package chatops

import "strings"

// skipper tracks the markdown around each line: text in fenced code blocks,
// block quotes and HTML comments shows a command without running it.
type skipper struct {
	fence     string // the open fence's run of ` or ~, "" outside a fence
	inComment bool
}

// ignore reports whether line is quoted, fenced or commented out, updating
// the state for the lines after it.
func (s *skipper) ignore(line string) bool {
	if s.inComment {
		if strings.Contains(line, "-->") {
			s.inComment = false
		}
		return true
	}
	// CommonMark lets fences be indented up to three spaces.
	trimmed := strings.TrimLeft(line, " ")
	indented := len(line)-len(trimmed) > 3
	if s.fence != "" {
		if !indented && strings.HasPrefix(trimmed, s.fence) &&
			strings.TrimSpace(strings.TrimLeft(trimmed, s.fence[:1])) == "" {
			s.fence = ""
		}
		return true
	}
	// A line indented four columns or more is an indented code block, or the
	// continuation of a paragraph that renders mid-line: never a command line.
	if indentColumns(line) >= 4 {
		return true
	}
	if run := fenceRun(trimmed); run != "" {
		s.fence = run
		return true
	}
	t := strings.TrimSpace(line)
	switch {
	case strings.HasPrefix(t, ">"):
		return true
	case strings.HasPrefix(t, "<!--"):
		s.inComment = !strings.Contains(t[len("<!--"):], "-->")
		return true
	}
	return false
}

// fenceRun returns the opening fence (three or more ` or ~) at the start of
// line, or "". A backtick fence's info string may not contain a backtick.
func fenceRun(line string) string {
	if len(line) < 3 || (line[0] != '`' && line[0] != '~') {
		return ""
	}
	c := line[0]
	n := 0
	for n < len(line) && line[n] == c {
		n++
	}
	if n < 3 || c == '`' && strings.Contains(line[n:], "`") {
		return ""
	}
	return line[:n]
}

// indentColumns is the width of line's leading spaces and tabs, with tab stops
// every four columns as in CommonMark.
func indentColumns(line string) int {
	col := 0
	for _, c := range line {
		switch c {
		case ' ':
			col++
		case '\t':
			col += 4 - col%4
		default:
			return col
		}
	}
	return col
}
