// Package report renders eval results and base-vs-head diffs for people: terminal
// tables, GitHub markdown, JSON and JUnit XML.
package report

import (
	"strings"
)

// EscapeCell makes untrusted text (model output, case descriptions) safe inside a
// GitHub markdown table cell: no pipes or newlines to break the table, no raw
// HTML, no @-mentions that would notify anyone, and no #-references.
func EscapeCell(s string) string {
	s = EscapeInline(s)
	s = strings.ReplaceAll(s, "|", "\\|")
	s = strings.ReplaceAll(s, "\r\n", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "\r", " ")
	return s
}

var inlineReplacer = strings.NewReplacer(
	"\\", "\\\\", // first, so a backslash in the text cannot escape the escapes below
	"&", "&amp;",
	"<", "&lt;",
	">", "&gt;",
	"@", "@\u200b", // a zero-width space stops GitHub from linking a mention
	"`", "\\`",
	"*", "\\*",
	"_", "\\_",
	"[", "\\[",
	"]", "\\]",
	"#", "#\u200b",
)

// EscapeInline escapes untrusted text for GitHub markdown outside code blocks.
func EscapeInline(s string) string { return inlineReplacer.Replace(s) }

// CodeBlock wraps untrusted text in a fenced block whose fence is longer than any
// backtick run inside it, so the text cannot close the fence. HTML inside a fence
// is shown literally; mentions inside a fence do not notify.
func CodeBlock(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence + "text\n" + strings.TrimRight(s, "\n") + "\n" + fence
}

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
