package report

import (
	"strings"
	"testing"
)

func TestEscapeCell(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a|b", `a\|b`},
		{`a\|b`, `a\\\|b`}, // a backslash must not swallow the pipe's escape
		{"line1\nline2\r\nline3", "line1 line2 line3"},
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"ping @octocat", "ping @\u200boctocat"},
		{"see #12", "see #\u200b12"},
		{"`code` *b* _i_ [l](u)", "\\`code\\` \\*b\\* \\_i\\_ \\[l\\](u)"},
	}
	for _, tt := range tests {
		if got := EscapeCell(tt.in); got != tt.want {
			t.Errorf("EscapeCell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeBlockCannotBeClosedByContent(t *testing.T) {
	t.Parallel()
	got := CodeBlock("before\n```\n@here <b>x</b>\n````")
	fence := got[:strings.Index(got, "text")]
	if len(fence) != 5 || !strings.HasSuffix(got, "\n"+fence) {
		t.Errorf("fence %q does not outrun the content's backtick runs:\n%s", fence, got)
	}
}

func FuzzEscapeCell(f *testing.F) {
	for _, s := range []string{"a|b", `\|`, "x\ny", "@u", "<b>", "```"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := EscapeCell(s)
		if strings.ContainsAny(got, "\n\r<>") {
			t.Fatalf("EscapeCell(%q) = %q keeps a newline or an angle bracket", s, got)
		}
		// Every pipe must be escaped by an odd run of backslashes.
		for i := 0; i < len(got); i++ {
			if got[i] != '|' {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && got[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("EscapeCell(%q) = %q leaves an unescaped pipe at %d", s, got, i)
			}
		}
	})
}
