// Package mdsafe writes text that a person or a model wrote into GitHub markdown
// so that it shows literally: no @-mention or team mention pings anyone, no link
// or autolink renders, no HTML passes, and no issue, pull-request or commit
// reference cross-links. Every reply, check run, summary and comment that
// promptgate posts quotes untrusted text only through this package.
package mdsafe

import (
	"strings"
)

// zwsp is a zero-width space. GitHub starts a mention, a #-reference or an
// autolink only at specific characters; a zero-width space between them stops
// the match while the reader sees the same text.
const zwsp = "\u200b"

// Inline escapes s for GitHub markdown outside code: in a sentence, a list item,
// a heading or a table cell. Line breaks become spaces, so the text cannot start
// a block of its own; every markdown and HTML special character is escaped; and
// a zero-width space breaks each @-mention, #-reference, GH-reference, "://"
// and "www." so that GitHub neither notifies nor links.
func Inline(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '_', '[', ']', '~', '|':
			// A backslash is escaped too, so text cannot escape these escapes.
			b.WriteByte('\\')
			b.WriteByte(c)
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			b.WriteByte(' ')
		case '\n':
			b.WriteByte(' ')
		case '@', '#':
			b.WriteByte(c)
			b.WriteString(zwsp)
		case ':':
			b.WriteByte(c)
			if strings.HasPrefix(s[i+1:], "//") {
				b.WriteString(zwsp)
			}
		case 'w', 'W':
			if len(s)-i >= 4 && strings.EqualFold(s[i:i+4], "www.") {
				b.WriteString(s[i : i+3])
				b.WriteString(zwsp)
				i += 2
				continue
			}
			b.WriteByte(c)
		case 'g', 'G':
			if len(s)-i >= 4 && strings.EqualFold(s[i:i+3], "gh-") && isDigit(s[i+3]) {
				b.WriteString(s[i : i+3])
				b.WriteString(zwsp)
				i += 2
				continue
			}
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Code writes s as one inline code span, backticks included. Inside a code span
// GitHub renders nothing: mentions, links and HTML show as typed. The fence is
// longer than any backtick run in s, so s cannot close it, and line breaks
// become spaces. A code span is not for table cells, where a pipe would still
// split the cell; use Inline there.
func Code(s string) string {
	s = oneLine(s)
	if s == "" {
		return "` `"
	}
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if s[0] == '`' || s[len(s)-1] == '`' || (s[0] == ' ' && s[len(s)-1] == ' ') {
		// CommonMark strips one space from each end; a backtick at an end
		// would join the fence.
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// Block writes s as a fenced code block whose fence is longer than any backtick
// run in s, so the text cannot close it. HTML inside the fence shows literally
// and mentions inside it do not notify.
func Block(s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence
}

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ", "\r", " ", "\n", " ").Replace(s)
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
