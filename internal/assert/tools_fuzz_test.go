package assert

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// FuzzToolCalls checks that no tool call the model makes (any name, any
// arguments text) and no assertion value makes the tool assertions panic, and
// that a call is valid only when its arguments are JSON.
func FuzzToolCalls(f *testing.F) {
	f.Add("get_weather", `{"city":"Paris","days":1}`, `{"name":"get_weather","args":{"city":"Paris"}}`)
	f.Add("get_weather", `{"days":"two"}`, `{"pattern":"get_*","args":{"days":"two"},"mode":"exact","ignore":"*_id"}`)
	f.Add("x", `[1, {"a": null}]`, `{"name":"x","args":[1,{"a":null}]}`)
	f.Add("", `not json`, `{"name":"?","arguments":{}}`)
	f.Fuzz(func(t *testing.T, name, args, value string) {
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		out := agentOutput()
		out.ToolCalls = []llm.ToolCall{{ID: "c", Name: name, Arguments: args}}
		var asserts []Assertion
		for _, typ := range ToolTypes {
			if a, err := Compile("evals/f.yaml", 1, Spec{Type: typ, Value: v}); err == nil {
				asserts = append(asserts, a)
			}
		}
		valid := mustCompileF(t, Spec{Type: "is-valid-openai-tools-call"})
		// A judge for trajectory:goal-success, which any string value compiles.
		env := Env{Judge: &fakeJudge{reply: `{"reason": "r", "pass": true, "score": 1}`}, JudgeModel: "judge"}
		g, err := Evaluate(context.Background(), append(asserts, valid), nil, out, env)
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		if last := g.Results[len(g.Results)-1]; last.Pass && !json.Valid([]byte(args)) {
			t.Fatalf("a call with arguments %q passed is-valid-openai-tools-call", args)
		}
	})
}

func mustCompileF(t *testing.T, s Spec) Assertion {
	a, err := Compile("evals/f.yaml", 1, s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
