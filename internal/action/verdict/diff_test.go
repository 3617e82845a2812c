package verdict

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
)

// suite builds a finished suite result from case statuses; every graded run
// uses in/out tokens and the given latency.
func suite(path, prompt, variant, model string, threshold float64, statuses ...eval.Status) *eval.SuiteResult {
	s := &eval.SuiteResult{Path: path, Prompt: prompt, Variant: variant, Model: model, Threshold: threshold,
		PromptPath: "prompts/" + PromptKey(prompt, variant) + ".prompt", CostKnown: true}
	for i, st := range statuses {
		c := eval.CaseResult{Index: i, Description: "case " + string(rune('a'+i)), Line: 10 + 5*i, Status: st,
			Output: "out " + string(st), Reason: "reason " + string(st), Vars: map[string]any{"i": i}}
		s.Cases = append(s.Cases, c)
		switch st {
		case eval.StatusPass:
			s.Passed++
		case eval.StatusFail:
			s.Failed++
		case eval.StatusError:
			s.Errored++
		}
	}
	s.MeanInputTokens, s.MeanOutputTokens = 1000, 500
	s.LatencyP50, s.LatencyP95 = 100*time.Millisecond, 200*time.Millisecond
	return s
}

func mustConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(yaml), "promptgate.yaml")
	if err != nil {
		t.Fatalf("parse config: %v", err)
	}
	return c
}

// prices: cheap costs $1/$2 per 1M tokens → 1000 in + 500 out = $0.002 a call;
// dear costs ten times that.
func prices() *cost.Table {
	return cost.NewTable(map[string]cost.Price{"cheap": {Input: 1, Output: 2}, "dear": {Input: 10, Output: 20}})
}

const (
	P = eval.StatusPass
	F = eval.StatusFail
	E = eval.StatusError
)

func TestComputeConclusionAndGates(t *testing.T) {
	t.Parallel()
	cfg := `traffic: {summarize: {requests_per_day: 1000}}
budget: {monthly_usd: 100}
gate: {max_cost_increase_pct: 20}
`
	tests := []struct {
		name       string
		base, head *eval.SuiteResult
		failOn     []string
		cfg        string
		want       string
		fired      []string
	}{
		{"unchanged passes", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, F),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, F), nil, cfg, ConclusionSuccess, nil},
		{"regression fails", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P), nil, cfg, ConclusionFailure, []string{GateRegression}},
		{"regression within allowed drop", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P, P),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P, P), nil,
			"gate: {max_pass_rate_drop_pct: 30}\n", ConclusionSuccess, nil},
		{"regression not enforced via fail-on", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P), []string{GateCost}, cfg, ConclusionSuccess, []string{GateRegression}},
		{"below threshold", suite("evals/s.yaml", "summarize", "", "cheap", 0.9, F, P, F),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.9, F, P, F), nil, cfg, ConclusionFailure, []string{GateThreshold}},
		{"dearer model fires cost and budget", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P),
			suite("evals/s.yaml", "summarize", "", "dear", 0.5, P, P), nil, cfg, ConclusionFailure, []string{GateCost, GateCost, GateBudget}}, // the second cost finding is the prompt's model: line,
		{"error is not a regression", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, E, P), nil, cfg, ConclusionSuccess, []string{GateErrors}},
		{"errors gate enforced", suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P),
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, E, P), []string{GateErrors}, cfg, ConclusionFailure, []string{GateErrors}},
		{"nothing evaluated is neutral", nil, nil, nil, cfg, ConclusionNeutral, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustConfig(t, tt.cfg)
			in := Input{Base: Side{Report: &eval.Report{}, Config: c, Prices: prices()},
				Head: Side{Report: &eval.Report{}, Config: c, Prices: prices()}, FailOn: tt.failOn}
			if tt.base != nil {
				in.Base.Report.Suites = []*eval.SuiteResult{tt.base}
			}
			if tt.head != nil {
				in.Head.Report.Suites = []*eval.SuiteResult{tt.head}
			}
			replayConfirmation(&in, 1000)
			r := Compute(in)
			if r.Conclusion != tt.want {
				t.Errorf("Conclusion = %q, want %q; gates %+v", r.Conclusion, tt.want, r.Gates)
			}
			var fired []string
			for _, g := range r.Fired() {
				fired = append(fired, g.Name)
			}
			if diff := cmp.Diff(tt.fired, fired); diff != "" {
				t.Errorf("fired gates (-want +got):\n%s\n%+v", diff, r.Gates)
			}
		})
	}
}

func TestComputeCaseChanges(t *testing.T) {
	t.Parallel()
	base := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P, P)
	head := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, F, P, E, P)
	in := Input{Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{base}}},
		Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{head}}}}
	replayConfirmation(&in, 1000)
	r := Compute(in)
	if len(r.Prompts) != 1 {
		t.Fatalf("got %d prompts, want 1", len(r.Prompts))
	}
	p := r.Prompts[0]
	want := []CaseChange{{Suite: "summarize", SuitePath: "evals/s.yaml", Line: 10, Description: "case a",
		Vars: map[string]any{"i": 0}, BaseOutput: "out pass", HeadOutput: "out fail", Reason: "reason fail",
		BaseStatus: P, HeadStatus: F, Worse: true, Class: ClassRegressed, PValue: 1 / 184756.0,
		UpFront: Samples{BasePassed: 1, Base: 1, HeadPassed: 0, Head: 1},
		Confirm: Samples{BasePassed: 10, Base: 10, HeadPassed: 0, Head: 10}}}
	if diff := cmp.Diff(want, p.NewlyFailing, cmpopts.EquateApprox(0, 1e-12)); diff != "" {
		t.Errorf("NewlyFailing (-want +got):\n%s", diff)
	}
	if len(p.NewlyPassing) != 1 || p.NewlyPassing[0].Description != "case b" {
		t.Errorf("NewlyPassing = %+v, want case b", p.NewlyPassing)
	}
	if len(p.NewErrors) != 1 || p.NewErrors[0].Description != "case c" {
		t.Errorf("NewErrors = %+v, want case c", p.NewErrors)
	}
	if r.Regressions() != 1 {
		t.Errorf("Regressions() = %d, want 1", r.Regressions())
	}
}

func TestCasesMatchByDescriptionWhenIndexShifts(t *testing.T) {
	t.Parallel()
	base := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P)
	head := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, F)
	// A new case was inserted first at head: the old "case a" and "case b" move down.
	head.Cases[0].Description, head.Cases[1].Description, head.Cases[2].Description = "new case", "case a", "case b"
	in := Input{Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{base}}},
		Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{head}}}}
	replayConfirmation(&in, 1000)
	r := Compute(in)
	got := r.Prompts[0].NewlyFailing
	if len(got) != 1 || got[0].Description != "case b" || got[0].Line != 20 {
		t.Errorf("NewlyFailing = %+v, want the shifted case b at line 20", got)
	}
}

func TestComputeCostProjection(t *testing.T) {
	t.Parallel()
	c := mustConfig(t, "traffic: {summarize: {requests_per_day: 1000}}\nbudget: {monthly_usd: 1000}\n")
	tests := []struct {
		name           string
		baseM, headM   string
		shares         map[string]FlagShare
		wantBase       float64
		wantHead       float64
		wantUnknown    []string
		wantHeadUnk    []string
		wantProjection map[string][2]float64
	}{
		{"plain", "cheap", "dear", nil, 0.002 * 1000 * cost.DaysPerMonth, 0.02 * 1000 * cost.DaysPerMonth, nil, nil, nil},
		{"unknown price is unknown, not zero", "cheap", "mystery-model", nil, 0.002 * 1000 * cost.DaysPerMonth, 0, []string{"summarize"}, []string{"summarize"}, nil},
		// A base without a price makes the delta unknown, but the head
		// projection, and so the budget position, is complete.
		{"unknown at base only", "mystery-model", "dear", nil, 0, 0.02 * 1000 * cost.DaysPerMonth, []string{"summarize"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Compute(Input{
				Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{suite("evals/s.yaml", "summarize", "", tt.baseM, 0.5, P)}}, Config: c, Prices: prices()},
				Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{suite("evals/s.yaml", "summarize", "", tt.headM, 0.5, P)}}, Config: c, Prices: prices()},
			})
			if !near(r.BaseMonthly, tt.wantBase) || !near(r.HeadMonthly, tt.wantHead) {
				t.Errorf("monthly = %v → %v, want %v → %v", r.BaseMonthly, r.HeadMonthly, tt.wantBase, tt.wantHead)
			}
			if diff := cmp.Diff(tt.wantUnknown, r.UnknownCost); diff != "" {
				t.Errorf("UnknownCost (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantHeadUnk, r.HeadUnknownCost); diff != "" {
				t.Errorf("HeadUnknownCost (-want +got):\n%s", diff)
			}
			if p := r.Prompts[0]; p.HeadCostKnown != (tt.wantHeadUnk == nil) {
				t.Errorf("HeadCostKnown = %v", p.HeadCostKnown)
			}
			if g := gateNamed(r, GateCost); tt.wantUnknown != nil && (g.Fired || g.Detail == "" || g.Detail[:17] != "could not compare") {
				t.Errorf("cost gate = %+v, want a could-not-compare note", g)
			}
		})
	}
}

func TestComputeFlagShare(t *testing.T) {
	t.Parallel()
	c := mustConfig(t, "traffic: {summarize: {requests_per_day: 1000}}\nbudget: {monthly_usd: 50}\n")
	shares := map[string]FlagShare{
		"summarize":    {Flag: "summarize-model", Stable: "summarize", Rollout: "summarize.v2", Pct: 25},
		"summarize.v2": {Flag: "summarize-model", Stable: "summarize", Rollout: "summarize.v2", Pct: 25},
	}
	rep := func() *eval.Report {
		return &eval.Report{Suites: []*eval.SuiteResult{
			suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P),
			suite("evals/s2.yaml", "summarize", "v2", "dear", 0.5, P),
		}}
	}
	r := Compute(Input{Base: Side{Report: rep(), Config: c, Prices: prices()},
		Head: Side{Report: rep(), Config: c, Prices: prices()}, FlagShares: shares})
	stable, rollout := 0.002*1000*cost.DaysPerMonth, 0.02*1000*cost.DaysPerMonth
	want := cost.AtShare(stable, rollout, 25)
	if !near(r.HeadMonthly, want) {
		t.Errorf("HeadMonthly = %v, want stable×0.75 + rollout×0.25 = %v", r.HeadMonthly, want)
	}
	fc, ok := r.Projection.Flags["summarize-model"]
	if !ok || !near(fc.StableMonthlyUSD, stable) || !near(fc.RolloutMonthlyUSD, rollout) {
		t.Errorf("Projection = %+v, want stable %v rollout %v", r.Projection, stable, rollout)
	}
	if !r.Budget.Over || !r.Budget.Over == (r.Conclusion == ConclusionFailure) {
		t.Errorf("budget %+v conclusion %s: want over budget and failure", r.Budget, r.Conclusion)
	}
	if r.Prompts[1].Share != 0.25 || r.Prompts[0].Share != 0.75 {
		t.Errorf("shares = %v, %v; want 0.75, 0.25", r.Prompts[0].Share, r.Prompts[1].Share)
	}
}

func TestAffectedWithoutSuitesIsNeutral(t *testing.T) {
	t.Parallel()
	r := Compute(Input{Affected: map[string][]string{"summarize": {"prompt changed"}},
		Skipped: []string{"model calls (no API key)"}})
	if r.Conclusion != ConclusionNeutral {
		t.Errorf("Conclusion = %q, want neutral", r.Conclusion)
	}
	if len(r.Prompts) != 1 || r.Prompts[0].Key != "summarize" || r.Prompts[0].Reasons[0] != "prompt changed" {
		t.Errorf("Prompts = %+v", r.Prompts)
	}
	if diff := cmp.Diff([]string{"model calls (no API key)"}, r.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

func TestParseFailOn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    []string
		wantErr bool
	}{
		{"", nil, false},
		{"regression, cost", []string{"cost", "regression"}, false},
		{"none", []string{}, false},
		{"all", []string{"budget", "cost", "errors", "latency", "regression", "threshold"}, false},
		{"regresion", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseFailOn(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseFailOn(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseFailOn(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestLatencyGate(t *testing.T) {
	t.Parallel()
	c := mustConfig(t, "gate: {max_latency_p95_increase_pct: 50}\n")
	base := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P)
	head := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P)
	head.LatencyP95 = 400 * time.Millisecond
	r := Compute(Input{Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{base}}, Config: c},
		Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{head}}, Config: c}})
	g := gateNamed(r, GateLatency)
	if !g.Fired || !g.Enforced || r.Conclusion != ConclusionFailure || g.File != "evals/s.yaml" {
		t.Errorf("latency gate = %+v, conclusion %s; want fired and failure", g, r.Conclusion)
	}
}

func gateNamed(r Result, name string) Gate {
	for _, g := range r.Gates {
		if g.Name == name {
			return g
		}
	}
	return Gate{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }
