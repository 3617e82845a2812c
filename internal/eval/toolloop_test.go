package eval

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// The agent fixture: a two-tool prompt, a structured-output prompt and a
// conversation prompt, with one suite each.
var agentFiles = map[string]string{
	"tools/get_weather.yaml": "name: get_weather\ndescription: Current weather in a city.\ninput:\n  city: string\n  days?: integer\n",
	"tools/get_time.yaml":    "name: get_time\ndescription: Local time in a city.\ninput:\n  city: string\n",
	"prompts/agent.prompt": "---\nmodel: gpt-4.1-mini\ntools: [get_weather, get_time]\nconfig:\n  toolChoice: auto\n---\n" +
		"{{role \"system\"}}You answer with the tools.\n{{role \"user\"}}{{q}}",
	"evals/agent.yaml": `prompt: agent
max_turns: 3
tool_results:
  get_weather: {sky: sunny, temp_c: 18}
tests:
  - description: paris
    vars: {q: weather in Paris}
    assert:
      - type: trajectory:tool-used
        value: get_weather
      - type: trajectory:tool-args-match
        value: {name: get_weather, args: {city: Paris}}
      - type: is-valid-openai-tools-call
      - type: contains
        value: sunny
      - type: trajectory:step-count
        value: {min: 2, max: 2}
  - description: days as a string
    vars: {q: weather in Lyon for two days}
    assert:
      - type: is-valid-openai-tools-call
  - description: no result for get_time
    vars: {q: time in Tokyo}
    assert:
      - type: trajectory:tool-used
        value: get_time
      - type: is-json
  - description: results handed out in order
    vars: {q: weather again and again}
    tool_results:
      get_weather: [rain, snow]
    assert:
      - type: contains
        value: snow
`,
	"prompts/order.prompt": "---\nmodel: gpt-4.1-mini\noutput:\n  format: json\n  schema:\n    item: string\n    qty: integer\n---\nOrder: {{q}}",
	"evals/order.yaml": `prompt: order
tests:
  - description: complete
    vars: {q: two teas}
  - description: missing qty
    vars: {q: some tea}
`,
	"prompts/chat.prompt": "---\nmodel: gpt-4.1-mini\n---\n{{role \"system\"}}Be kind.\n{{history}}\n{{role \"user\"}}{{q}}",
	"evals/chat.yaml": `prompt: chat
tests:
  - vars: {q: "What's my name?"}
    messages:
      - {role: user, content: "I'm Ada."}
      - {role: assistant, content: Hello Ada!}
    assert:
      - type: contains
        value: "4 messages"
`,
}

// agentModel answers like a tool-using model: it calls get_weather or
// get_time for the user's question, then answers from the tool result.
func agentModel(t *testing.T) func(llmfake.Request) llmfake.Reply {
	return func(r llmfake.Request) llmfake.Reply {
		last := r.Messages[len(r.Messages)-1]
		user := ""
		for _, m := range r.Messages {
			if m.Role == "user" {
				user = m.Text()
			}
		}
		switch {
		case strings.HasPrefix(user, "Order: "):
			if !bytes.Contains(r.ResponseFormat, []byte(`"json_schema"`)) {
				t.Errorf("order prompt sent response_format %s, want json_schema", r.ResponseFormat)
			}
			if strings.Contains(user, "two") {
				return llmfake.Reply{Content: `{"item": "tea", "qty": 2}`}
			}
			return llmfake.Reply{Content: `{"item": "tea"}`}
		case len(r.Tools) == 0:
			return llmfake.Reply{Content: "I see " + string(rune('0'+len(r.Messages))) + " messages."}
		case last.Role == "tool" && strings.Contains(user, "again") && len(r.Messages) < 6:
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "call_2", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}}
		case last.Role == "tool":
			return llmfake.Reply{Content: "Forecast: " + last.Text()}
		case strings.Contains(user, "Paris"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}}
		case strings.Contains(user, "Lyon"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Lyon","days":"two"}`}}}
		case strings.Contains(user, "Tokyo"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_time", Arguments: `{"city":"Tokyo"}`}}}
		default:
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}}
		}
	}
}

func TestToolLoop(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(llmfake.Options{APIKey: "test-key", Respond: agentModel(t)})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	set, suites := fixture(t, agentFiles)
	var trace bytes.Buffer
	tw := NewTraceWriter(&trace)
	r := &Runner{Prompts: set, Client: newClient(t, srv.URL, 4, 0, t.TempDir(), llm.CacheReadWrite), Concurrency: 4, Trace: tw}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	if p := fake.Problems(); len(p) > 0 {
		t.Fatalf("fake refused %d malformed requests, first: %s", len(p), p[0])
	}
	cases := map[string]CaseResult{}
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			cases[s.Prompt+"/"+c.Description] = c
		}
	}

	paris := cases["agent/paris"]
	if paris.Status != StatusPass || paris.Turns != 2 || paris.Output != `Forecast: {"sky":"sunny","temp_c":18}` {
		t.Errorf("paris: status %s (%s), %d turns, output %q", paris.Status, paris.Reason, paris.Turns, paris.Output)
	}
	wantCalls := []ToolCall{{Turn: 1, ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`, Result: `{"sky":"sunny","temp_c":18}`, Answered: true}}
	if diff := cmp.Diff(wantCalls, paris.ToolCalls); diff != "" {
		t.Errorf("paris tool calls (-want +got):\n%s", diff)
	}
	if lyon := cases["agent/days as a string"]; lyon.Status != StatusFail || !strings.Contains(lyon.Reason, "days: got string, want integer") {
		t.Errorf("string for an integer: status %s, reason %q", lyon.Status, lyon.Reason)
	}
	tokyo := cases["agent/no result for get_time"]
	if tokyo.Status != StatusPass || tokyo.Turns != 1 || len(tokyo.ToolCalls) != 1 || tokyo.ToolCalls[0].Answered {
		t.Errorf("unanswered call: status %s (%s), %d turns, calls %+v", tokyo.Status, tokyo.Reason, tokyo.Turns, tokyo.ToolCalls)
	}
	again := cases["agent/results handed out in order"]
	if again.Status != StatusPass || again.Turns != 3 || len(again.ToolCalls) != 2 || again.ToolCalls[1].Result != "snow" {
		t.Errorf("list results: status %s (%s), %d turns, calls %+v", again.Status, again.Reason, again.Turns, again.ToolCalls)
	}
	if c := cases["order/complete"]; c.Status != StatusPass {
		t.Errorf("matching structured answer: %s (%s)", c.Status, c.Reason)
	}
	if c := cases["order/missing qty"]; c.Status != StatusFail || c.Reason != "output.schema: qty: required" {
		t.Errorf("structured answer missing qty: %s, reason %q", c.Status, c.Reason)
	}
	if c := cases["chat/"]; c.Status != StatusPass {
		t.Errorf("history case: %s (%s, output %q)", c.Status, c.Reason, c.Output)
	}

	// The requests on the wire: tools and tool_choice offered, the second
	// turn carrying the assistant's call and the tool's result.
	var first, second *llmfake.Request
	for _, req := range fake.Seen() {
		if len(req.Messages) > 1 && req.Messages[1].Text() == "weather in Paris" {
			switch len(req.Messages) {
			case 2:
				first = &req
			case 4:
				second = &req
			}
		}
	}
	if first == nil || second == nil {
		t.Fatalf("Paris requests not seen: first %v, second %v", first, second)
	}
	var names []string
	for _, tool := range first.Tools {
		names = append(names, tool.Function.Name)
	}
	if !cmp.Equal(names, []string{"get_weather", "get_time"}) || string(first.ToolChoice) != `"auto"` {
		t.Errorf("first request offered %v with tool_choice %s", names, first.ToolChoice)
	}
	var params map[string]any
	if err := json.Unmarshal(first.Tools[0].Function.Parameters, &params); err != nil || params["type"] != "object" {
		t.Errorf("get_weather parameters %s", first.Tools[0].Function.Parameters)
	}
	call, result := second.Messages[2], second.Messages[3]
	if call.Role != "assistant" || len(call.ToolCalls) != 1 || call.ToolCalls[0].ID != "call_1" || call.ToolCalls[0].Function.Name != "get_weather" {
		t.Errorf("second request's assistant message = %+v", call)
	}
	if result.Role != "tool" || result.ToolCallID != "call_1" || result.Text() != `{"sky":"sunny","temp_c":18}` {
		t.Errorf("second request's tool message = %+v (content %q)", result, result.Text())
	}
	for _, req := range fake.Seen() {
		if req.Messages[0].Text() == "Be kind." {
			var got []string
			for _, m := range req.Messages {
				got = append(got, m.Role+": "+m.Text())
			}
			want := []string{"system: Be kind.", "user: I'm Ada.", "assistant: Hello Ada!", "user: What's my name?"}
			if !cmp.Equal(got, want) {
				t.Errorf("history request messages = %q, want %q", got, want)
			}
		}
	}

	// One trace line per call, with its turn; the case's tokens are the sum.
	var paris1, paris2 TraceRecord
	for _, line := range strings.Split(strings.TrimSpace(trace.String()), "\n") {
		var rec TraceRecord
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		if len(rec.Messages) > 1 && rec.Messages[1].Content == "weather in Paris" {
			if rec.Turn == 1 {
				paris1 = rec
			} else if rec.Turn == 2 {
				paris2 = rec
			}
		}
	}
	if len(paris1.ToolCalls) != 1 || paris2.Response == "" {
		t.Errorf("trace: turn 1 %+v, turn 2 %+v", paris1, paris2)
	}
	if sum := paris1.InputTokens + paris2.InputTokens; paris.InputTokens != sum || sum == 0 {
		t.Errorf("case input tokens %d, want the calls' sum %d", paris.InputTokens, sum)
	}

	// A second run answers every turn from the cache.
	before := fake.Requests.Load()
	rep2, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	if fake.Requests.Load() != before || rep2.Calls != 0 {
		t.Errorf("second run made %d requests, %d network calls; want none", fake.Requests.Load()-before, rep2.Calls)
	}
	for _, s := range rep2.Suites {
		for _, c := range s.Cases {
			if c.Description == "paris" && (c.Status != StatusPass || !c.CacheHit || c.Turns != 2) {
				t.Errorf("cached paris: %s, cache hit %t, %d turns", c.Status, c.CacheHit, c.Turns)
			}
		}
	}
}
