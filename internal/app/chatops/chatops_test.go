package chatops

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

func TestParseCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body string
		want []Command
	}{
		{"rollout with percent sign", "/rollout summarize 25%",
			[]Command{{Kind: Rollout, Flag: "summarize", Percent: 25, Line: 1, Raw: "/rollout summarize 25%"}}},
		{"rollout bare number", "/rollout summarize 5",
			[]Command{{Kind: Rollout, Flag: "summarize", Percent: 5, Line: 1, Raw: "/rollout summarize 5"}}},
		{"rollout spaced percent", "/rollout summarize 50 %",
			[]Command{{Kind: Rollout, Flag: "summarize", Percent: 50, Line: 1, Raw: "/rollout summarize 50 %"}}},
		{"rollout bounds", "/rollout a 0\n/rollout b 100%",
			[]Command{
				{Kind: Rollout, Flag: "a", Percent: 0, Line: 1, Raw: "/rollout a 0"},
				{Kind: Rollout, Flag: "b", Percent: 100, Line: 2, Raw: "/rollout b 100%"},
			}},
		{"status", "/rollout summarize status",
			[]Command{{Kind: Status, Flag: "summarize", Line: 1, Raw: "/rollout summarize status"}}},
		{"auto pause resume", "/rollout summarize auto\n/rollout summarize PAUSE\n/rollout `summarize` resume",
			[]Command{{Kind: Auto, Flag: "summarize", Line: 1, Raw: "/rollout summarize auto"},
				{Kind: Pause, Flag: "summarize", Line: 2, Raw: "/rollout summarize PAUSE"},
				{Kind: Resume, Flag: "summarize", Line: 3, Raw: "/rollout `summarize` resume"}}},
		{"rollback", "/rollback summarize",
			[]Command{{Kind: Rollback, Flag: "summarize", Line: 1, Raw: "/rollback summarize"}}},
		{"help", "/promptgate help",
			[]Command{{Kind: Help, Line: 1, Raw: "/promptgate help"}}},
		{"bare promptgate is help", "/promptgate",
			[]Command{{Kind: Help, Line: 1, Raw: "/promptgate"}}},
		{"case-insensitive command word, flag case kept", "/ROLLOUT Summarize.V2 25%\n/Rollback my_flag-1\n/PromptGate HELP\n/rollout x STATUS",
			[]Command{
				{Kind: Rollout, Flag: "Summarize.V2", Percent: 25, Line: 1, Raw: "/ROLLOUT Summarize.V2 25%"},
				{Kind: Rollback, Flag: "my_flag-1", Line: 2, Raw: "/Rollback my_flag-1"},
				{Kind: Help, Line: 3, Raw: "/PromptGate HELP"},
				{Kind: Status, Flag: "x", Line: 4, Raw: "/rollout x STATUS"},
			}},
		{"leading spaces, tabs between words, CRLF", "LGTM!\r\n\r\n   /rollout  summarize\t10%  \r\nthanks\r\n",
			[]Command{{Kind: Rollout, Flag: "summarize", Percent: 10, Line: 3, Raw: "/rollout  summarize\t10%"}}},
		{"backticked flag", "/rollout `summarize` 25%",
			[]Command{{Kind: Rollout, Flag: "summarize", Percent: 25, Line: 1, Raw: "/rollout `summarize` 25%"}}},
		{"leading zeros", "/rollout f 005",
			[]Command{{Kind: Rollout, Flag: "f", Percent: 5, Line: 1, Raw: "/rollout f 005"}}},
		{"mid-text mention is ignored", "please run /rollout summarize 25% when ready", nil},
		{"quoted line is ignored", "> /rollout summarize 25%\n  > /rollback summarize", nil},
		{"backtick fence is ignored", "```\n/rollout summarize 25%\n```\n/rollback summarize",
			[]Command{{Kind: Rollback, Flag: "summarize", Line: 4, Raw: "/rollback summarize"}}},
		{"tilde fence with info string, indented", "  ~~~~ text\n/rollout a 1\n~~~\n/rollout b 2\n  ~~~~~\n/rollout c 3",
			[]Command{{Kind: Rollout, Flag: "c", Percent: 3, Line: 6, Raw: "/rollout c 3"}}},
		{"backtick inside tilde fence does not close it", "~~~\n```\n/rollout a 1\n~~~\n/rollout b 2",
			[]Command{{Kind: Rollout, Flag: "b", Percent: 2, Line: 5, Raw: "/rollout b 2"}}},
		{"unclosed fence runs to the end", "```sh\n/rollout a 1\n/rollback a", nil},
		{"html comment is ignored", "<!--\n/rollout a 1\n-->\n<!-- /rollback a -->\n/rollout b 2",
			[]Command{{Kind: Rollout, Flag: "b", Percent: 2, Line: 5, Raw: "/rollout b 2"}}},
		{"indented code block is ignored", "Example:\n\n    /rollout summarize 25%\n\t/rollback summarize\n  \t/rollout a 1\n   /rollout b 2",
			[]Command{{Kind: Rollout, Flag: "b", Percent: 2, Line: 6, Raw: "/rollout b 2"}}},
		{"indented fence does not open a fence", "    ```\n/rollout a 1",
			[]Command{{Kind: Rollout, Flag: "a", Percent: 1, Line: 2, Raw: "/rollout a 1"}}},
		{"other bots' commands are ignored", "/lgtm\n/cc @alice\n/rollouts summarize 5\n/approve", nil},
		{"empty body", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, problems := Parse(tt.body)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("commands (-want +got):\n%s", diff)
			}
			if len(problems) != 0 {
				t.Errorf("unexpected problems: %+v", problems)
			}
		})
	}
}

func TestParseProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		body    string
		wantMsg string // substring of the single problem's message
		usage   string // the usage the message must show
	}{
		{"rollout without args", "/rollout", "needs a flag name and a percentage", rolloutUsage},
		{"rollout missing pct", "/rollout summarize", "`/rollout summarize` needs a percentage (or `status`, `auto`, `pause`, `resume`)", rolloutUsage},
		{"rollout missing flag", "/rollout 25%", "needs a flag name before the percentage", rolloutUsage},
		{"pct over 100", "/rollout summarize 150", "percentage `150` is more than 100", rolloutUsage},
		{"huge pct", "/rollout summarize 99999999999999999999999%", "is more than 100", rolloutUsage},
		{"fractional pct", "/rollout summarize 2.5%", "percentage `2.5%` must be a whole number", rolloutUsage},
		{"negative pct", "/rollout summarize -5", "percentage `-5` must be a whole number from 0 to 100", rolloutUsage},
		{"word pct", "/rollout summarize abc", "`abc` is not a percentage", rolloutUsage},
		{"double percent", "/rollout summarize 25%%", "`25%%` is not a percentage", rolloutUsage},
		{"extra arg", "/rollout summarize 25 now", "`now` is one too many", rolloutUsage},
		{"bad flag name", "/rollout sum@rize 25", "`sum@rize` is not a flag name", rolloutUsage},
		{"long flag name", "/rollback " + strings.Repeat("f", 201), "longer than 200 characters", rollbackUsage},
		{"rollback without flag", "/rollback", "`/rollback` needs a flag name", rollbackUsage},
		{"rollback extra arg", "/rollback summarize 0", "`0` is one too many", rollbackUsage},
		{"unknown subcommand", "/promptgate deploy", "unknown command `/promptgate deploy`", promptgateUsage},
		{"help with args", "/promptgate help me", "`me` is one too many", promptgateUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := "Some context.\r\n" + tt.body + "\r\n"
			cmds, problems := Parse(body)
			if len(cmds) != 0 {
				t.Errorf("unexpected commands: %+v", cmds)
			}
			if len(problems) != 1 {
				t.Fatalf("got %d problems, want 1: %+v", len(problems), problems)
			}
			p := problems[0]
			if p.Line != 2 || p.Raw != tt.body {
				t.Errorf("problem at line %d %q, want line 2 %q", p.Line, p.Raw, tt.body)
			}
			if !strings.Contains(p.Msg, tt.wantMsg) {
				t.Errorf("message %q does not contain %q", p.Msg, tt.wantMsg)
			}
			if !strings.Contains(p.Msg, tt.usage) {
				t.Errorf("message %q does not show usage %s", p.Msg, tt.usage)
			}
		})
	}
}

func TestParseMixed(t *testing.T) {
	t.Parallel()
	body := "/rollout a 10\n/rollout b 101\n/rollback c"
	cmds, problems := Parse(body)
	wantCmds := []Command{
		{Kind: Rollout, Flag: "a", Percent: 10, Line: 1, Raw: "/rollout a 10"},
		{Kind: Rollback, Flag: "c", Line: 3, Raw: "/rollback c"},
	}
	if diff := cmp.Diff(wantCmds, cmds); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
	if len(problems) != 1 || problems[0].Line != 2 {
		t.Errorf("problems = %+v, want one on line 2", problems)
	}
}

func TestCommandStringRoundTrip(t *testing.T) {
	t.Parallel()
	for _, c := range []Command{
		{Kind: Rollout, Flag: "summarize", Percent: 25},
		{Kind: Rollout, Flag: "a.b-c_d", Percent: 0},
		{Kind: Status, Flag: "summarize"},
		{Kind: Auto, Flag: "summarize"},
		{Kind: Pause, Flag: "summarize"},
		{Kind: Resume, Flag: "summarize"},
		{Kind: Rollback, Flag: "summarize"},
		{Kind: Help},
	} {
		got, problems := Parse(c.String())
		c.Line, c.Raw = 1, c.String()
		if diff := cmp.Diff([]Command{c}, got); diff != "" || len(problems) != 0 {
			t.Errorf("Parse(%q) (-want +got):\n%s problems: %+v", c.String(), diff, problems)
		}
	}
}

func TestKindString(t *testing.T) {
	t.Parallel()
	got := []string{Rollout.String(), Rollback.String(), Status.String(), Help.String(), Auto.String(), Pause.String(), Resume.String(), Kind(0).String()}
	if diff := cmp.Diff([]string{"rollout", "rollback", "status", "help", "auto", "pause", "resume", "Kind(0)"}, got); diff != "" {
		t.Errorf("Kind names (-want +got):\n%s", diff)
	}
}

// TestUsageGolden pins the help text users see; a change shows up as a diff
// of testdata/golden/usage.md.
func TestUsageGolden(t *testing.T) {
	t.Parallel()
	golden.Assert(t, "usage.md", Usage())
	// Every command the help shows must parse.
	for _, example := range []string{"/rollout summarize 25%", "/rollout summarize status", "/rollout summarize auto", "/rollback summarize", "/promptgate help"} {
		if !strings.Contains(Usage(), strings.SplitN(example, " ", 2)[0]) {
			t.Errorf("Usage() does not mention %s", example)
		}
		if cmds, problems := Parse(example); len(cmds) != 1 || len(problems) != 0 {
			t.Errorf("example %q does not parse: %+v %+v", example, cmds, problems)
		}
	}
}
