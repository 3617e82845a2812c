package assert

import (
	"context"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// TestGoalSuccess: the judge reads the goal, the loop's trajectory (each
// tool call in order, then the reply) and the output; its verdict is the
// assertion's, held to the threshold and flipped by not-, except that a
// reply without a verdict fails either way.
func TestGoalSuccess(t *testing.T) {
	t.Parallel()
	out := Output{Text: "It ships on 30 November.", Vars: map[string]any{"id": "ORD-7"},
		ToolCalls: []llm.ToolCall{{ID: "c1", Name: "lookup_order", Arguments: `{"order_id":"ORD-7"}`}}, Turns: 2}
	pass := `{"reason": "looked it up and answered", "pass": true, "score": 0.9}`
	fail := `{"reason": "never said when", "pass": false, "score": 0.2}`
	tests := []struct {
		name      string
		spec      Spec
		reply     string
		pass      bool
		score     float64
		reasonHas string
	}{
		{"achieved", Spec{Type: "trajectory:goal-success", Value: "Tell the customer when {{id}} ships"}, pass, true, 0.9, "looked it up"},
		{"object form", Spec{Type: "trajectory:goal-success", Value: map[string]any{"goal": "Tell the customer when it ships"}}, pass, true, 0.9, ""},
		{"not achieved", Spec{Type: "trajectory:goal-success", Value: "Tell the customer when {{id}} ships"}, fail, false, 0.2,
			`Expected the agent to achieve the goal "Tell the customer when ORD-7 ships" (judge: never said when)`},
		{"below threshold", Spec{Type: "trajectory:goal-success", Value: "g", Threshold: func() *float64 { f := 0.95; return &f }()}, pass, false, 0.9, "score 0.90 below threshold 0.95"},
		{"negated", Spec{Type: "not-trajectory:goal-success", Value: "g"}, pass, false, 0.1, "Expected the agent not to achieve the goal"},
		{"negated, not achieved", Spec{Type: "not-trajectory:goal-success", Value: "g"}, fail, true, 0.8, ""},
		{"no verdict", Spec{Type: "not-trajectory:goal-success", Value: "g"}, "I think so", false, 0, "Could not extract JSON from trajectory:goal-success response"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := &fakeJudge{reply: tt.reply}
			a := mustCompile(t, tt.spec)
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, out, Env{Judge: j, JudgeModel: "judge-model"})
			if err != nil {
				t.Fatal(err)
			}
			r := g.Results[0]
			if r.Pass != tt.pass || r.Score < tt.score-1e-9 || r.Score > tt.score+1e-9 || !strings.Contains(r.Reason, tt.reasonHas) {
				t.Errorf("got pass %t score %g reason %q; want pass %t score %g, reason containing %q", r.Pass, r.Score, r.Reason, tt.pass, tt.score, tt.reasonHas)
			}
			if len(j.got) != 1 || j.got[0].Model != "judge-model" {
				t.Fatalf("judge requests %+v", j.got)
			}
			user := j.got[0].Messages[1].Content
			want := "\n</Goal>\n<Trajectory>\n" + `{"stepCount":2,"steps":[{"index":1,"type":"tool","name":"lookup_order"},{"index":2,"type":"message","name":"agent response"}]}` +
				"\n</Trajectory>\n<Output>\nIt ships on 30 November.\n</Output>"
			if !strings.HasPrefix(user, "<Goal>\n") || !strings.HasSuffix(user, want) {
				t.Errorf("judge's user message:\n%s\nwant it to end with:\n%s", user, want)
			}
		})
	}
}

func TestGoalSuccessValues(t *testing.T) {
	t.Parallel()
	for _, v := range []any{nil, "  ", 3, []any{"g"}, map[string]any{"goal": 1}, map[string]any{"goals": "g"}} {
		if _, err := Compile("s.yaml", 4, Spec{Type: "trajectory:goal-success", Value: v}); err == nil {
			t.Errorf("value %#v was accepted", v)
		}
	}
	if _, err := Compile("s.yaml", 4, Spec{Type: "trajectory:goal-success", Value: "g", Provider: "gpt-4.1"}); err != nil {
		t.Errorf("a judge provider on goal-success: %v", err)
	}
	if _, err := Compile("s.yaml", 4, Spec{Type: "contains", Value: "g", Provider: "gpt-4.1"}); err == nil {
		t.Error("a judge provider on contains was accepted")
	}
	// No judge model: grading itself fails, the case is an error.
	a := mustCompile(t, Spec{Type: "trajectory:goal-success", Value: "g"})
	if _, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, Env{}); err == nil ||
		!strings.Contains(err.Error(), "trajectory:goal-success needs a judge model") {
		t.Errorf("no judge: %v", err)
	}
}
