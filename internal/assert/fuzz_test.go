package assert

import (
	"context"
	"testing"
)

// FuzzEvaluate checks that no model output (and no judge reply) makes grading
// panic, and that every score stays in [0, 1].
func FuzzEvaluate(f *testing.F) {
	f.Add("Here is JSON: {\"ok\": true} and [1, 2", `{"reason":"r","pass":true,"score":0.5}`)
	f.Add("{{{{[[[[", "```json\n{\"pass\": false}\n```")
	f.Add("", "")
	schema := map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}
	var asserts []Assertion
	for _, s := range []Spec{
		{Type: "contains-json", Value: schema},
		{Type: "not-is-json"},
		{Type: "equals", Value: map[string]any{"ok": true}},
		{Type: "levenshtein", Value: "expected {{x}}"},
		{Type: "icontains-all", Value: []any{"a", "{{x}}"}},
		{Type: "regex", Value: "^{{x}}"},
		{Type: "llm-rubric", Value: "rubric"},
	} {
		a, err := Compile("f.yaml", 1, s)
		if err != nil {
			f.Fatalf("Compile(%+v): %v", s, err)
		}
		asserts = append(asserts, a)
	}
	f.Fuzz(func(t *testing.T, text, judgeReply string) {
		out := Output{Text: text, Vars: map[string]any{"x": text}}
		g, err := Evaluate(context.Background(), asserts, nil, out, Env{Judge: &fakeJudge{reply: judgeReply}, JudgeModel: "j"})
		if err != nil {
			return // an unreadable judge reply is an error by design
		}
		for _, r := range g.Results {
			if r.Score < 0 || r.Score > 1 {
				t.Fatalf("%s scored %v, outside [0, 1]", r.Type, r.Score)
			}
		}
	})
}
