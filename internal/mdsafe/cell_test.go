package mdsafe

import (
	"testing"
)

func TestInlineInTableCell(t *testing.T) {
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
		if got := Inline(tt.in); got != tt.want {
			t.Errorf("Inline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Block and the escaping itself are fuzzed in mdsafe_test.go.
