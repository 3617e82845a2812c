// Package report renders eval results and base-vs-head diffs for people: terminal
// tables, GitHub markdown, JSON and JUnit XML.
package report

import (
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// EscapeCell makes untrusted text (model output, case descriptions) safe inside a
// GitHub markdown table cell. It is mdsafe.Inline, which escapes pipes and joins
// lines, so that the two can never drift apart.
func EscapeCell(s string) string { return mdsafe.Inline(s) }

// EscapeInline escapes untrusted text for GitHub markdown outside code blocks: no
// mention pings, no link renders, no HTML passes. It is mdsafe.Inline.
func EscapeInline(s string) string { return mdsafe.Inline(s) }

// CodeBlock wraps untrusted text in a fenced block that the text cannot close. It
// is mdsafe.Block.
func CodeBlock(s string) string { return mdsafe.Block(s) }

// Truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
