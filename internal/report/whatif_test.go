package report

import (
	"bytes"
	"testing"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

// TestCandidatesGolden renders the cost-by-owner and cheaper-model sections in both formats,
// with a hostile case description and model name that must stay inert.
func TestCandidatesGolden(t *testing.T) {
	t.Parallel()
	f := func(v float64) *float64 { return &v }
	rep := &eval.Report{Suites: []*eval.SuiteResult{{Path: "evals/classify.yaml", Prompt: "classify", PromptHash: "b283979da8b8",
		Model: "gpt-4o", Threshold: 0.75, Passed: 3, Failed: 1, CostUSD: 0.008, CostKnown: true,
		Cases: []eval.CaseResult{{Index: 3, Line: 13, Description: "awful service", Status: eval.StatusFail, Reason: "Expected output to contain negative"}}}},
		Candidates: []eval.Candidate{
			{Prompt: "classify", HeadModel: "gpt-4o", Model: "gpt-4.1-nano", Passed: 2, Graded: 4, PassRate: 0.5, HeadPassRate: 0.75,
				Lost: []eval.CaseRef{{Suite: "evals/classify.yaml", Line: 10, Description: "plainly bad @admins <b>x</b> | y"}},
				Diff: -0.25, DiffLo: -0.74, DiffHi: 0.24, Margin: 2,
				CostPer1K: f(0.0225), HeadCostPer1K: f(2.0), MonthlyUSD: f(6.69), HeadMonthlyUSD: f(608.33), SavingUSD: f(601.64)},
			{Prompt: "classify", HeadModel: "gpt-4o", Model: "gpt-4o-mini|<i>", Passed: 4, Graded: 4, PassRate: 1, HeadPassRate: 0.75,
				Won:  []eval.CaseRef{{Suite: "evals/classify.yaml", Line: 13, Description: "awful service"}},
				Diff: 0.25, DiffLo: -0.012, DiffHi: 0.51, Margin: 2, NonInferior: true, HeadMeetsThreshold: true,
				CostPer1K: f(0.0330), HeadCostPer1K: f(2.0), Recommended: true},
			{Prompt: "classify", HeadModel: "gpt-4o", Model: "my-finetune", Passed: 3, Graded: 4, PassRate: 0.75, HeadPassRate: 0.75, HeadCostPer1K: f(2.0)},
		},
		Owners: []eval.OwnerCost{
			{Owner: "@acme/support", Prompts: []string{"classify"}, MonthlyUSD: 608.33,
				Budget:   &eval.OwnerBudget{Period: "daily", PeriodUSD: 10, MonthlyUSD: 304.17, Alerts: []float64{0.5, 0.8, 1}},
				Position: &cost.BudgetPosition{MonthlyUSD: 304.17, ProjectedUSD: 608.33, Fraction: 2, Crossed: []float64{0.5, 0.8, 1}, Over: true}},
			{Owner: "@evil <script>|x", Prompts: []string{"a|b", "c"}, MonthlyUSD: 1, Unprojected: []string{"c"}},
			{Prompts: []string{"orphan"}, Unprojected: []string{"orphan"}},
		}}
	for _, tt := range []struct{ format, file string }{{"markdown", "eval_candidates.md"}, {"table", "eval_candidates.txt"}} {
		var b bytes.Buffer
		if err := WriteEval(&b, rep, tt.format); err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, tt.file, b.Bytes())
	}
}
