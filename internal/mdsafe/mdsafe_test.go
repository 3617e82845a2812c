package mdsafe

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

func TestInline(t *testing.T) {
	t.Parallel()
	const z = "\u200b"
	tests := []struct{ name, in, want string }{
		{"plain", "plain text", "plain text"},
		{"pipe", "a|b", `a\|b`},
		{"backslash cannot eat an escape", `a\|b`, `a\\\|b`},
		{"line breaks", "line1\nline2\r\nline3\rline4", "line1 line2 line3 line4"},
		{"html", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"img", `<img src=x onerror=alert(1)>`, "&lt;img src=x onerror=alert(1)&gt;"},
		{"entity", "&#64;octocat", "&amp;#" + z + "64;octocat"},
		{"mention", "ping @octocat", "ping @" + z + "octocat"},
		{"team mention", "@org/admins", "@" + z + "org/admins"},
		{"email", "a@b.example", "a@" + z + "b.example"},
		{"issue ref", "see #12", "see #" + z + "12"},
		{"cross-repo ref", "owner/repo#1", "owner/repo#" + z + "1"},
		{"GH ref", "fixes GH-1 and gh-22", "fixes GH-" + z + "1 and gh-" + z + "22"},
		{"GH word", "GH-actions", "GH-actions"},
		{"url", "http://evil.example/x", "http:" + z + "//evil.example/x"},
		{"https upper", "HTTPS://evil.example", "HTTPS:" + z + "//evil.example"},
		{"www", "visit www.evil.example or WWW.x.y", "visit www" + z + ".evil.example or WWW" + z + ".x.y"},
		{"markdown link", "[x](http://y)", `\[x\](http:` + z + "//y)"},
		{"autolink", "<https://y>", "&lt;https:" + z + "//y&gt;"},
		{"emphasis and code", "`code` *b* _i_ ~s~ $x$", "\\`code\\` \\*b\\* \\_i\\_ \\~s\\~ $x$"},
		{"unicode kept", "naïve café 🚀", "naïve café 🚀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Inline(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Inline(%q) (-want +got):\n%s", tt.in, diff)
			}
			if l := mdcheck.Live(got); len(l) > 0 {
				t.Errorf("Inline(%q) = %q is live: %v", tt.in, got, l)
			}
		})
	}
}

func TestCode(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"/rollout f 25", "`/rollout f 25`"},
		{"a`b", "``a`b``"},
		{"`x`", "`` `x` ``"},
		{"a ``` b", "````a ``` b````"},
		{"two\nlines", "`two lines`"},
		{" padded ", "`  padded  `"},
		{"", "` `"},
	}
	for _, tt := range tests {
		if got := Code(tt.in); got != tt.want {
			t.Errorf("Code(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlockCannotBeClosedByContent(t *testing.T) {
	t.Parallel()
	got := Block("before\n```\n@here <b>x</b>\n````")
	fence := got[:strings.Index(got, "text")]
	if len(fence) != 5 || !strings.HasSuffix(got, "\n"+fence) {
		t.Errorf("fence %q does not outrun the content's backtick runs:\n%s", fence, got)
	}
	if l := mdcheck.Live(got); len(l) > 0 {
		t.Errorf("Block is live: %v", l)
	}
}

// FuzzEscapers: whatever the input, no output of Inline, Code or Block holds a
// live mention, link, HTML tag or reference, and Inline never keeps a raw '<' or
// a line break.
func FuzzEscapers(f *testing.F) {
	for _, s := range []string{"a|b", `\|`, "x\ny", "@u", "<b>", "```", "http://x", "www.x", "#1", "GH-2",
		"/rollout @org/admins <img src=x> http://evil.example 25", "[x](y)", "&#64;u", "`@u`"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := Inline(s)
		if strings.ContainsAny(in, "\n\r<>") {
			t.Fatalf("Inline(%q) = %q keeps a line break or an angle bracket", s, in)
		}
		for name, md := range map[string]string{"Inline": in, "Code": "x " + Code(s) + " y", "Block": "x\n\n" + Block(s) + "\n\ny"} {
			if l := mdcheck.Live(md); len(l) > 0 {
				t.Fatalf("%s(%q) = %q is live: %v", name, s, md, l)
			}
		}
		// Every pipe Inline leaves is escaped by an odd run of backslashes.
		for i := 0; i < len(in); i++ {
			if in[i] != '|' {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && in[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("Inline(%q) = %q leaves an unescaped pipe at %d", s, in, i)
			}
		}
	})
}
