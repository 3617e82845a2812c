// Package mdcheck tells tests whether GitHub would render markdown as
// something live (a mention, a link, HTML, an issue reference), so a test can
// prove that a reply or summary quotes untrusted text inertly. Product code
// escapes with internal/mdsafe; this package only checks the result.
package mdcheck

import (
	"regexp"
	"strings"
)

// live matches what GitHub turns into a notification, a link or HTML when it
// appears in markdown text outside code.
var live = []struct {
	what string
	re   *regexp.Regexp
}{
	{"mention", regexp.MustCompile(`@[A-Za-z0-9]`)},
	{"link", regexp.MustCompile(`(?i)[a-z][a-z0-9+.-]*://`)},
	{"www autolink", regexp.MustCompile(`(?i)www\.`)},
	{"markdown link", regexp.MustCompile(`\]\(|\]\[|\]:`)},
	{"html", regexp.MustCompile(`<[A-Za-z/!?]`)},
	{"numeric entity", regexp.MustCompile(`&#[0-9xX]`)},
	{"issue reference", regexp.MustCompile(`#[0-9]`)},
	{"GH reference", regexp.MustCompile(`(?i)gh-[0-9]`)},
}

// Live lists the live constructs in GitHub markdown md: @-mentions, links and
// autolinks, HTML tags and issue references found outside code spans, fenced
// code blocks and backslash escapes. Tests use it to prove that a reply quotes
// untrusted text without any of them; it errs on the side of reporting.
func Live(md string) []string {
	text := visibleText(md)
	var found []string
	for _, l := range live {
		if m := l.re.FindString(text); m != "" {
			found = append(found, l.what+" "+m)
		}
	}
	return found
}

// visibleText drops fenced code blocks and code spans from md and replaces each
// backslash-escaped character with a NUL, so that what is left is the text GitHub
// parses for mentions, links and HTML.
func visibleText(md string) string {
	var out strings.Builder
	fence := ""
	for _, line := range strings.Split(strings.NewReplacer("\r\n", "\n", "\r", "\n").Replace(md), "\n") {
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if fence != "" {
			if indent < 4 && strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, string(fence[0])+" \t") == "" {
				fence = ""
			}
			continue
		}
		if indent < 4 {
			for _, c := range []byte{'`', '~'} {
				if n := leadingRun(trimmed, c); n >= 3 && (c == '~' || !strings.Contains(trimmed[n:], "`")) {
					fence = trimmed[:n]
				}
			}
			if fence != "" {
				continue
			}
		}
		out.WriteString(dropSpans(line))
		out.WriteByte('\n')
	}
	return out.String()
}

// dropSpans removes code spans and backslash escapes from one line.
func dropSpans(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\' && i+1 < len(s) && isPunct(s[i+1]):
			b.WriteByte(0)
			i += 2
		case s[i] == '`':
			n := leadingRun(s[i:], '`')
			end := closingRun(s[i+n:], n)
			if end < 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
			b.WriteByte(0)
			i += n + end + n
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String()
}

// closingRun finds the first run of exactly n backticks in s.
func closingRun(s string, n int) int {
	for i := 0; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		r := leadingRun(s[i:], '`')
		if r == n {
			return i
		}
		i += r
	}
	return -1
}

func leadingRun(s string, c byte) int {
	n := 0
	for n < len(s) && s[n] == c {
		n++
	}
	return n
}

func isPunct(c byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}
