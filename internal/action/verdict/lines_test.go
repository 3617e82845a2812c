package verdict

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/eval"
)

// TestGateLines: a missed threshold is located at the suite's `threshold:`
// line, and a cost rise also at the `model:` line of the prompt that caused it
// (once, under the cost gate; under budget when only the budget fired).
func TestGateLines(t *testing.T) {
	t.Parallel()
	type loc struct {
		Gate, File string
		Line       int
	}
	tests := []struct {
		name string
		cfg  string
		want []loc
	}{
		{"cost gate", "traffic: {summarize: {requests_per_day: 1000}}\ngate: {max_cost_increase_pct: 20}\n", []loc{
			{GateThreshold, "evals/s.yaml", 3},
			{GateCost, "promptgate.yaml", 2},
			{GateCost, "prompts/summarize.prompt", 2},
		}},
		{"budget only", "traffic: {summarize: {requests_per_day: 1000}}\nbudget: {monthly_usd: 1}\n", []loc{
			{GateThreshold, "evals/s.yaml", 3},
			{GateBudget, "promptgate.yaml", 2},
			{GateBudget, "prompts/summarize.prompt", 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := suite("evals/s.yaml", "summarize", "", "cheap", 0.9, P, P)
			head := suite("evals/s.yaml", "summarize", "", "dear", 0.9, P, E, F)
			head.ThresholdLine, head.ModelLine = 3, 2
			c := mustConfig(t, tt.cfg)
			r := Compute(Input{Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{base}}, Config: c, Prices: prices()},
				Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{head}}, Config: c, Prices: prices()}})
			var got []loc
			for _, g := range r.Fired() {
				if g.Name == GateRegression || g.Name == GateErrors {
					continue
				}
				got = append(got, loc{g.Name, g.File, g.Line})
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fired gate locations (-want +got):\n%s", diff)
			}
		})
	}
}
