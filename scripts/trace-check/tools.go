package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// The tool-using run's project: a prompt offering get_weather and get_time,
// n cases that look up one city's weather (two turns: the call, then the
// reply), one that looks up two cities in one turn, and one whose get_time
// call has no result given (the loop ends at it: one turn).
const (
	weatherResult = `{"sky":"sunny"}`
	twoCities     = "weather in Paris and Oslo"
	timeQuestion  = "time in Tokyo"
)

func writeToolProject(dir string, n int) error {
	var suite strings.Builder
	suite.WriteString("prompt: weather\nthreshold: 1\nmax_turns: 3\ntool_results:\n  get_weather: {sky: sunny}\ntests:\n")
	for i := range n {
		fmt.Fprintf(&suite, "  - description: city %d\n    vars: {q: weather in city %d}\n    assert:\n"+
			"      - {type: trajectory:tool-args-match, value: {name: get_weather, args: {city: city %d}}}\n"+
			"      - {type: contains, value: sunny}\n", i, i, i)
	}
	fmt.Fprintf(&suite, "  - description: two cities\n    vars: {q: %s}\n    assert: [{type: trajectory:tool-used, value: {name: get_weather, min: 2, max: 2}}]\n", twoCities)
	fmt.Fprintf(&suite, "  - description: no result\n    vars: {q: %s}\n    assert: [{type: trajectory:tool-used, value: get_time}]\n", timeQuestion)
	return writeFiles(dir, map[string]string{
		"tools/get_weather.yaml": "name: get_weather\ndescription: Current weather in a city.\ninput:\n  city: string\n",
		"tools/get_time.yaml":    "name: get_time\ndescription: Local time in a city.\ninput:\n  city: string\n",
		"prompts/weather.prompt": "---\nmodel: gpt-4.1-mini\ntools: [get_weather, get_time]\n---\n" +
			"{{role \"system\"}}Answer with the tools.\n{{role \"user\"}}{{q}}\n",
		"evals/weather.yaml": suite.String(),
	})
}

// toolSpanCounts is how many chat and execute_tool spans the tool-using run
// of n weather cases makes.
func toolSpanCounts(n int) (chats, tools int) {
	return 2*n + 2 + 1, n + 2 + 1
}

// toolAnswer answers like a model using the tools: a call for the question,
// then, once every call has its result, a reply quoting it. A request whose
// tool messages do not carry the suite's result is refused.
func toolAnswer(req llmfake.Request) llmfake.Reply {
	msgs := req.Conversation()
	usage := &llm.Usage{InputTokens: 40, OutputTokens: 8}
	if last := msgs[len(msgs)-1]; last.Role == "tool" {
		for _, m := range msgs {
			if m.Role == "tool" && m.Content != weatherResult {
				return llmfake.Reply{Refuse: fmt.Sprintf("trace-check: tool message %q, want the suite's result %s", m.Content, weatherResult)}
			}
		}
		return llmfake.Reply{Content: "Forecast: sunny", Usage: usage}
	}
	q := strings.TrimSpace(msgs[len(msgs)-1].Content)
	call := func(id, name, city string) llm.ToolCall {
		return llm.ToolCall{ID: id, Name: name, Arguments: fmt.Sprintf(`{"city":%q}`, city)}
	}
	var calls []llm.ToolCall
	switch {
	case q == twoCities:
		calls = []llm.ToolCall{call("call_paris", "get_weather", "Paris"), call("call_oslo", "get_weather", "Oslo")}
	case q == timeQuestion:
		calls = []llm.ToolCall{call("call_tokyo", "get_time", "Tokyo")}
	default:
		city := strings.TrimPrefix(q, "weather in ")
		calls = []llm.ToolCall{call("call_"+strings.ReplaceAll(city, " ", "_"), "get_weather", city)}
	}
	return llmfake.Reply{ToolCalls: calls, Usage: usage}
}

// fetchToolTrace polls Jaeger until it holds the tool-using run's trace with
// all its spans, or a minute has passed.
func fetchToolTrace(query string, n int) (jaegerTrace, error) {
	chats, tools := toolSpanCounts(n)
	got, err := pollTraces(query, "suite evals/weather.yaml", 1, 2+chats+tools)
	if err != nil {
		return jaegerTrace{}, err
	}
	return got[0], nil
}

// chatTurn is one chat span's case and turn.
type chatTurn struct{ cas, turn int }

// checkToolTrace checks the tool-using run's trace: every chat span is under
// the suite span with its promptgate.turn, each case's turns run 1…k (k = 2,
// or 1 for the unanswered call), and each tool call is an execute_tool NAME
// span under the chat that asked for it, carrying gen_ai.operation.name,
// gen_ai.tool.name, gen_ai.tool.call.id, gen_ai.tool.type and that turn.
func checkToolTrace(tr jaegerTrace, n int) error {
	var problems []string
	suiteID := ""
	for _, s := range tr.Spans {
		if s.OperationName == "suite evals/weather.yaml" {
			suiteID = s.SpanID
		}
	}
	chats := map[string]chatTurn{}
	turns := map[int][]int{}
	for _, s := range tr.Spans {
		if s.OperationName != "chat gpt-4.1-mini" {
			continue
		}
		tags := s.tags()
		cas, ok1 := tags["promptgate.case"].(float64)
		turn, ok2 := tags["promptgate.turn"].(float64)
		if !ok1 || !ok2 || s.parent() != suiteID {
			problems = append(problems, fmt.Sprintf("chat span %s: case %v, turn %v, parent %s (suite %s)", s.SpanID, tags["promptgate.case"], tags["promptgate.turn"], s.parent(), suiteID))
			continue
		}
		chats[s.SpanID] = chatTurn{int(cas), int(turn)}
		turns[int(cas)] = append(turns[int(cas)], int(turn))
	}
	calls := map[string][]string{} // chat span → tool names called under it
	for _, s := range tr.Spans {
		name, ok := strings.CutPrefix(s.OperationName, "execute_tool ")
		if !ok {
			continue
		}
		tags, parent := s.tags(), chats[s.parent()]
		id, _ := tags["gen_ai.tool.call.id"].(string)
		turn, _ := tags["promptgate.turn"].(float64)
		switch {
		case parent.turn == 0:
			problems = append(problems, fmt.Sprintf("execute_tool span %s is not under a chat span", s.SpanID))
		case tags["gen_ai.operation.name"] != "execute_tool" || tags["gen_ai.tool.name"] != name || tags["gen_ai.tool.type"] != "function" || id == "":
			problems = append(problems, fmt.Sprintf("execute_tool span %s: operation %v, tool %v (span says %s), type %v, call id %q",
				s.SpanID, tags["gen_ai.operation.name"], tags["gen_ai.tool.name"], name, tags["gen_ai.tool.type"], id))
		case int(turn) != parent.turn:
			problems = append(problems, fmt.Sprintf("execute_tool span %s has turn %v under a turn-%d chat", s.SpanID, tags["promptgate.turn"], parent.turn))
		}
		calls[s.parent()] = append(calls[s.parent()], name)
	}
	for span, ct := range chats {
		want := []string{"get_weather"}
		switch {
		case ct.turn == 2:
			want = nil
		case ct.cas == n:
			want = []string{"get_weather", "get_weather"}
		case ct.cas == n+1:
			want = []string{"get_time"}
		}
		if fmt.Sprint(calls[span]) != fmt.Sprint(want) {
			problems = append(problems, fmt.Sprintf("case %d turn %d: execute_tool spans %v, want %v", ct.cas, ct.turn, calls[span], want))
		}
	}
	for cas := range n + 2 {
		want := "[1 2]"
		if cas == n+1 {
			want = "[1]"
		}
		got := turns[cas]
		if len(got) == 2 && got[0] > got[1] {
			got[0], got[1] = got[1], got[0]
		}
		if fmt.Sprint(got) != want {
			problems = append(problems, fmt.Sprintf("case %d has chat turns %v, want %s", cas, got, want))
		}
	}
	if len(problems) > 10 {
		problems = append(problems[:10], "…")
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "\n"))
	}
	return nil
}
