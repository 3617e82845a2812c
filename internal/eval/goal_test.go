package eval

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

var goalFiles = map[string]string{
	"tools/get_weather.yaml": "name: get_weather\ndescription: Current weather in a city.\ninput:\n  city: string\n",
	"prompts/agent.prompt":   "---\nmodel: gpt-4.1-mini\ntools: [get_weather]\n---\n{{role \"system\"}}You answer with the tools.\n{{role \"user\"}}{{q}}",
	"evals/agent.yaml": `prompt: agent
judge: gpt-4.1-nano
tool_results:
  get_weather: {sky: sunny}
tests:
  - description: looks it up
    vars: {q: weather in Paris}
    assert:
      - type: trajectory:goal-success
        value: Tell the user the weather in {{q}}
  - description: guesses
    vars: {q: weather in Oslo}
    assert:
      - type: trajectory:goal-success
        value: {goal: Tell the user the weather}
  - description: guesses, negated
    vars: {q: weather in Lima}
    assert:
      - type: not-trajectory:goal-success
        value: Tell the user the weather
`,
}

// TestGoalSuccessJudge runs trajectory:goal-success through the runner with
// the API fake as both the agent and the judge: the judge request goes to the
// suite's judge model and carries the goal, the loop's trajectory and the
// final reply, and the judge's verdict decides the case.
func TestGoalSuccessJudge(t *testing.T) {
	t.Parallel()
	var (
		mu        sync.Mutex
		judgeReqs []llmfake.Request
	)
	fake := llmfake.New(llmfake.Options{APIKey: "test-key", Respond: func(r llmfake.Request) llmfake.Reply {
		msgs := r.Conversation()
		last := msgs[len(msgs)-1]
		switch {
		case strings.Contains(msgs[0].Content, "whether an AI agent achieved a goal"):
			if r.Model != "gpt-4.1-nano" || len(r.Tools) != 0 {
				return llmfake.Reply{Refuse: "judge request to " + r.Model + " with tools"}
			}
			mu.Lock()
			judgeReqs = append(judgeReqs, r)
			mu.Unlock()
			if strings.Contains(last.Content, `"type":"tool","name":"get_weather"`) && strings.Contains(last.Content, "<Output>\nsunny in ") {
				return llmfake.Reply{Content: `{"reason": "it used the weather tool and answered", "pass": true, "score": 1}`}
			}
			return llmfake.Reply{Content: `{"reason": "it guessed without the tool", "pass": false, "score": 0}`}
		case last.Role == "tool":
			return llmfake.Reply{Content: "sunny in " + strings.TrimPrefix(msgs[1].Content, "weather in ")}
		case strings.Contains(last.Content, "Paris"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}}
		}
		return llmfake.Reply{Content: "Probably rain."}
	}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	set, suites := fixture(t, goalFiles)
	r := &Runner{Prompts: set, Client: newClient(t, srv.URL, 1, 0, "", llm.CacheOff), Concurrency: 1}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	if p := fake.Problems(); len(p) > 0 {
		t.Fatalf("fake refused a request: %s", p[0])
	}
	got := map[string]CaseResult{}
	for _, c := range rep.Suites[0].Cases {
		got[c.Description] = c
	}
	if c := got["looks it up"]; c.Status != StatusPass || c.Turns != 2 {
		t.Errorf("looks it up: %s (%s), %d turns", c.Status, c.Reason, c.Turns)
	}
	if c := got["guesses"]; c.Status != StatusFail ||
		c.Reason != `Expected the agent to achieve the goal "Tell the user the weather" (judge: it guessed without the tool)` {
		t.Errorf("guesses: %s, reason %q", c.Status, c.Reason)
	}
	if c := got["guesses, negated"]; c.Status != StatusPass {
		t.Errorf("negated goal the agent missed: %s (%s)", c.Status, c.Reason)
	}
	if len(judgeReqs) != 3 {
		t.Fatalf("judge got %d requests, want 3", len(judgeReqs))
	}
	for _, jr := range judgeReqs {
		if u := jr.Messages[len(jr.Messages)-1].Text(); strings.Contains(u, "Paris") &&
			!strings.HasPrefix(u, "<Goal>\nTell the user the weather in weather in Paris\n</Goal>\n<Trajectory>\n{\"stepCount\":2,") {
			t.Errorf("judge's user message for Paris:\n%s", u)
		}
	}
}
