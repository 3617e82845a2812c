package report

import (
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
)

func TestToolCallTable(t *testing.T) {
	t.Parallel()
	if got := toolCallTable(nil, nil); got != "" {
		t.Errorf("no calls: %q", got)
	}
	base := []eval.ToolCall{{Turn: 1, ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`, Result: "sunny", Answered: true}}
	head := []eval.ToolCall{
		{Turn: 1, ID: "c1", Name: "get_weather", Arguments: "{\"city\":\"@octocat `x` | <b>\"}", Answered: false},
		{Turn: 1, ID: "c2", Name: "get_time", Arguments: `{}`},
	}
	got := toolCallTable(base, head)
	want := "**Tool calls**\n\n| # | base | head |\n|---|---|---|\n" +
		"| 1 | `turn 1: get_weather({\"city\":\"Paris\"}) → sunny` | `turn 1: get_weather({\"city\":\"@octocat 'x' \\| <b>\"}) → no result given` |\n" +
		"| 2 | — | `turn 1: get_time({}) → no result given` |\n\n"
	if got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if strings.Count(got, "`")%2 != 0 {
		t.Error("a backtick from the model escaped its code span")
	}
}
