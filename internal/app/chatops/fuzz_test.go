package chatops

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// FuzzParse checks that Parse never panics, that every command it returns is
// valid and reads back from its canonical form, and that problems point at
// real lines of the body.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"/rollout summarize 25%", "/rollout summarize status", "/rollback summarize", "/promptgate help",
		"LGTM\r\n\r\n  /rollout a 10 %\r\n/rollout b 150\r\n", "```\n/rollout a 1\n```\n/rollback a",
		"<!--\n/rollout a 1\n-->\n> /rollout b 2\n/rollout `c` 3", "/promptgate deploy now", "/rollout a 2.5%",
		"~~~~\n```\n/rollout a 1\n~~~~\n/rollout b 1", "\r/rollout a 1\r\r/rollback b",
		"/rollout @org/admins <img src=x> http://evil.example 25", "/promptgate `@x` www.evil.example", "/rollout a http://evil.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		cmds, problems := Parse(body)
		lines := strings.Count(strings.ReplaceAll(body, "\r\n", "\n"), "\n") +
			strings.Count(strings.ReplaceAll(body, "\r\n", ""), "\r") + 1
		prev := 0
		for _, c := range cmds {
			if c.Kind < Rollout || c.Kind > Help {
				t.Fatalf("invalid kind in %+v", c)
			}
			if c.Percent < 0 || c.Percent > 100 || c.Kind != Rollout && c.Percent != 0 {
				t.Fatalf("bad percent in %+v", c)
			}
			if (c.Kind == Help) != (c.Flag == "") || len(c.Flag) > maxFlagLen {
				t.Fatalf("bad flag in %+v", c)
			}
			if c.Line <= prev || c.Line > lines || c.Raw == "" || !strings.Contains(body, c.Raw) {
				t.Fatalf("bad position in %+v (lines %d)", c, lines)
			}
			prev = c.Line
			again, p := Parse(c.String())
			want := c
			want.Line, want.Raw = 1, c.String()
			if diff := cmp.Diff([]Command{want}, again); diff != "" || len(p) != 0 {
				t.Fatalf("%+v does not round-trip through %q: %s %+v", c, c.String(), diff, p)
			}
		}
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines || p.Raw == "" || p.Msg == "" || !strings.Contains(p.Msg, "Usage:") {
				t.Fatalf("bad problem %+v (lines %d)", p, lines)
			}
			if live := mdcheck.Live(p.Msg); len(live) > 0 {
				t.Fatalf("problem message %q quotes the comment live: %v", p.Msg, live)
			}
			for _, c := range cmds {
				if c.Line == p.Line {
					t.Fatalf("line %d is both a command and a problem", p.Line)
				}
			}
		}
	})
}
