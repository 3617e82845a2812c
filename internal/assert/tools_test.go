package assert

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// agentOutput is a case whose model called get_weather for Paris, then
// get_time, over three turns.
func agentOutput() Output {
	weather := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}},"required":["city"],"additionalProperties":false}`)
	return Output{
		Text:  "It is sunny in Paris.",
		Turns: 3,
		Tools: []llm.Tool{{Name: "get_weather", Parameters: weather}, {Name: "get_time", Parameters: json.RawMessage(`{"type":"object"}`)}},
		ToolCalls: []llm.ToolCall{
			{ID: "c1", Name: "get_weather", Arguments: `{"city": "Paris", "days": 1}`},
			{ID: "c2", Name: "get_time", Arguments: `{}`},
		},
	}
}

func TestToolAssertions(t *testing.T) {
	t.Parallel()
	badArgs := agentOutput()
	badArgs.ToolCalls = []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city": "Paris", "days": "two"}`}}
	unknown := agentOutput()
	unknown.ToolCalls = []llm.ToolCall{{ID: "c1", Name: "get_wether", Arguments: `{}`}}
	none := agentOutput()
	none.ToolCalls, none.Turns = nil, 1
	tests := []struct {
		name       string
		spec       Spec
		out        Output
		wantPass   bool
		wantReason string
	}{
		{"valid calls", Spec{Type: "is-valid-openai-tools-call"}, agentOutput(), true, ""},
		{"string for integer", Spec{Type: "is-valid-openai-tools-call"}, badArgs, false, `Call to "get_weather" does not match its schema: days: got string, want integer`},
		{"unknown tool", Spec{Type: "is-valid-openai-tools-call"}, unknown, false, `Called "get_wether", but there is no offered tool`},
		{"no call", Spec{Type: "is-valid-openai-tools-call"}, none, false, "made no tool call"},
		{"not- valid on bad args", Spec{Type: "not-is-valid-openai-tools-call"}, badArgs, true, ""},
		{"f1 exact", Spec{Type: "tool-call-f1", Value: []any{"get_weather", "get_time"}}, agentOutput(), true, ""},
		{"f1 half", Spec{Type: "tool-call-f1", Value: "get_weather"}, agentOutput(), false, "Tool Call F1 0.667"},
		{"f1 threshold", Spec{Type: "tool-call-f1", Value: "get_weather", Threshold: f(0.6)}, agentOutput(), true, ""},
		{"used one", Spec{Type: "trajectory:tool-used", Value: "get_weather"}, agentOutput(), true, ""},
		{"used list missing", Spec{Type: "trajectory:tool-used", Value: []any{"get_weather", "book"}}, agentOutput(), false, "Missing required tool(s): book"},
		{"not used forbidden", Spec{Type: "not-trajectory:tool-used", Value: []any{"book", "get_time"}}, agentOutput(), false, "Forbidden tool(s) called: get_time"},
		{"not used absent", Spec{Type: "not-trajectory:tool-used", Value: "book"}, agentOutput(), true, ""},
		{"used count", Spec{Type: "trajectory:tool-used", Value: map[string]any{"pattern": "get_*", "min": 2, "max": 2}}, agentOutput(), true, ""},
		{"used count too few", Spec{Type: "trajectory:tool-used", Value: map[string]any{"name": "get_time", "min": 2}}, agentOutput(), false, "called 1 time(s) (expected at least 2)"},
		{"sequence in order", Spec{Type: "trajectory:tool-sequence", Value: []any{"get_weather", "get_time"}}, agentOutput(), true, ""},
		{"sequence wrong order", Spec{Type: "trajectory:tool-sequence", Value: []any{"get_time", "get_weather"}}, agentOutput(), false, `Expected tool "get_weather" was not called in order`},
		{"sequence exact", Spec{Type: "trajectory:tool-sequence", Value: map[string]any{"mode": "exact", "steps": []any{"get_weather"}}}, agentOutput(), false, "exact tool sequence"},
		{"args partial", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"city": "Paris"}}}, agentOutput(), true, ""},
		{"args exact", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"city": "Paris"}, "mode": "exact"}}, agentOutput(), false, "Observed args: {\"city\":\"Paris\",\"days\":1}"},
		{"args exact with defaults", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"city": "Paris"}, "mode": "exact", "defaults": map[string]any{"days": 1}}}, agentOutput(), true, ""},
		{"args exact with ignore", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "arguments": map[string]any{"city": "Paris"}, "mode": "exact", "ignore": "d*"}}, agentOutput(), true, ""},
		{"args number compares as JSON", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"days": 1}}}, agentOutput(), true, ""},
		{"args other city", Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"city": "Rome"}}}, agentOutput(), false, "No call to tool \"get_weather\" matched"},
		{"steps in range", Spec{Type: "trajectory:step-count", Value: map[string]any{"min": 2, "max": 3}}, agentOutput(), true, ""},
		{"steps too many", Spec{Type: "trajectory:step-count", Value: map[string]any{"max": 2}}, agentOutput(), false, "Counted 3 model turn(s) (expected at most 2)"},
		{"tool steps", Spec{Type: "trajectory:step-count", Value: map[string]any{"type": "tool", "pattern": "get_w*", "min": 1, "max": 1}}, agentOutput(), true, ""},
		{"not steps", Spec{Type: "not-trajectory:step-count", Value: map[string]any{"max": 2}}, agentOutput(), true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustCompile(t, tt.spec)
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, tt.out, Env{})
			if err != nil {
				t.Fatal(err)
			}
			if g.Pass != tt.wantPass {
				t.Errorf("pass = %t, want %t (%s)", g.Pass, tt.wantPass, g.Reason)
			}
			if !strings.Contains(g.Reason, tt.wantReason) {
				t.Errorf("reason = %q, want it to contain %q", g.Reason, tt.wantReason)
			}
		})
	}
}

func TestToolAssertionValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Type: "tool-call-f1"}, "value must be the expected tool names"},
		{Spec{Type: "tool-call-f1", Value: " , "}, "at least one expected tool name"},
		{Spec{Type: "trajectory:tool-used", Value: []any{1}}, "value must be a tool name"},
		{Spec{Type: "trajectory:tool-used", Value: map[string]any{"nme": "x"}}, `unknown key "nme" in value (did you mean name?)`},
		{Spec{Type: "trajectory:tool-sequence", Value: map[string]any{"mode": "strict", "steps": []any{"a"}}}, "mode must be exact or in_order"},
		{Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "x"}}, "value needs args"},
		{Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "x", "args": map[string]any{}, "mode": "fuzzy"}}, "mode must be partial or exact"},
		{Spec{Type: "trajectory:step-count", Value: map[string]any{"type": "tool"}}, "value needs min or max"},
		{Spec{Type: "trajectory:step-count", Value: map[string]any{"min": 3, "max": 1}}, "min 3 is above max 1"},
		{Spec{Type: "trajectory:tool-usd", Value: "x"}, "(did you mean trajectory:tool-used?)"},
	}
	for _, tt := range tests {
		_, err := Compile("evals/x.yaml", 7, tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "evals/x.yaml:7:") {
			t.Errorf("Compile(%+v) = %v, want evals/x.yaml:7: … %q", tt.spec, err, tt.want)
		}
	}
}

func TestJavaScriptSeesToolCalls(t *testing.T) {
	t.Parallel()
	a := mustCompile(t, Spec{Type: "javascript", Value: `context.toolCalls.length === 2 && JSON.parse(context.toolCalls[0].function.arguments).city === 'Paris'`})
	g, err := Evaluate(context.Background(), []Assertion{a}, nil, agentOutput(), Env{})
	if err != nil || !g.Pass {
		t.Errorf("javascript on context.toolCalls: pass %t, err %v, reason %s", g.Pass, err, g.Reason)
	}
}
