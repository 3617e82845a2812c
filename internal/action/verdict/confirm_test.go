package verdict

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/eval"
)

// replayConfirmation confirms in's flips as a deterministic model would.
func replayConfirmation(in *Input, budget int) {
	plan := Plan(in.Base.Report, in.Head.Report, budget)
	extra := &Extra{Base: &eval.Report{}, Head: &eval.Report{}, PerCase: plan.PerCase, Flipped: plan.Flipped, Runs: plan.Calls(), Calls: plan.Calls(), Budget: budget}
	for _, side := range []struct {
		rep, out *eval.Report
		plan     SidePlan
	}{{in.Base.Report, extra.Base, plan.Base}, {in.Head.Report, extra.Head, plan.Head}} {
		for _, s := range side.rep.Suites {
			cs, ok := side.plan[idOf(s)]
			if !ok {
				continue
			}
			es := &eval.SuiteResult{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant}
			for _, c := range s.Cases {
				if slices.Contains(cs.Cases, c.Index) && c.Repeat == 0 {
					for j := range plan.PerCase {
						c.Repeat = cs.First + j
						es.Cases = append(es.Cases, c)
					}
				}
			}
			side.out.Suites = append(side.out.Suites, es)
		}
	}
	in.Extra = extra
}

func TestPlanSamplesOnlyFlippedCasesWithinBudget(t *testing.T) {
	t.Parallel()
	base := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P, P, F)
	head := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, F, P, P, P, F)
	rep := func(s *eval.SuiteResult) *eval.Report { return &eval.Report{Suites: []*eval.SuiteResult{s}} }
	id := SuiteID{"evals/s.yaml", "summarize", ""}
	tests := []struct {
		name    string
		budget  int
		perCase int
		cases   []int
	}{
		{"plenty", 1000, MaxConfirmSamples, []int{0, 1}},
		{"tight", 10, 2, []int{0, 1}},
		{"too small", 3, 0, nil},
		{"off", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Plan(rep(base), rep(head), tt.budget)
			if p.Flipped != 2 || p.PerCase != tt.perCase {
				t.Errorf("Flipped, PerCase = %d, %d; want 2, %d", p.Flipped, p.PerCase, tt.perCase)
			}
			if diff := cmp.Diff(tt.cases, p.Head[id].Cases); diff != "" {
				t.Errorf("head cases (-want +got):\n%s", diff)
			}
			if tt.cases != nil && (p.Base[id].First != 1 || p.Head[id].First != 1) {
				t.Errorf("first sample = %d/%d, want 1 (past the up-front sample)", p.Base[id].First, p.Head[id].First)
			}
			if p.Calls() > tt.budget {
				t.Errorf("plan makes %d calls, over the budget %d", p.Calls(), tt.budget)
			}
		})
	}
	if p := Plan(rep(base), rep(base), 1000); p.Flipped != 0 || p.Calls() != 0 {
		t.Errorf("identical sides: plan %+v, want no call", p)
	}
}

// TestFlakyNeverFailsAlone: a flip whose confirmation samples pass and fail
// at both sides is listed as flaky with its counts and fails nothing; the
// same flip with no confirmation is unconfirmed.
func TestFlakyNeverFailsAlone(t *testing.T) {
	t.Parallel()
	base := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P, P)
	head := suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P)
	in := Input{Base: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{base}}},
		Head: Side{Report: &eval.Report{Suites: []*eval.SuiteResult{head}}}}
	r := Compute(in)
	if r.Conclusion != ConclusionSuccess || len(r.Prompts[0].Flaky) != 1 || r.Prompts[0].Flaky[0].Class != ClassUnconfirmed {
		t.Fatalf("unconfirmed flip: conclusion %s, flaky %+v", r.Conclusion, r.Prompts[0].Flaky)
	}
	replayConfirmation(&in, 1000)
	for i := range in.Extra.Head.Suites[0].Cases {
		if i < 8 { // head passes 8 of its 10 confirmation samples: 10/10 vs 8/10 is no evidence
			in.Extra.Head.Suites[0].Cases[i].Status = P
		}
	}
	r = Compute(in)
	p := r.Prompts[0]
	if r.Conclusion != ConclusionSuccess || len(p.NewlyFailing) != 0 || len(p.Flaky) != 1 {
		t.Fatalf("flaky flip: conclusion %s, regressed %d, flaky %+v", r.Conclusion, len(p.NewlyFailing), p.Flaky)
	}
	got := p.Flaky[0]
	want := Samples{BasePassed: 11, Base: 11, HeadPassed: 8, Head: 11}
	if got.Class != ClassFlaky || got.UpFront.Total(got.Confirm) != want {
		t.Errorf("flaky case: class %s, samples %+v, want flaky %+v", got.Class, got.UpFront.Total(got.Confirm), want)
	}
	if r.Confirmation == nil || r.Confirmation.Runs != 2*MaxConfirmSamples || r.Confirmation.Flipped != 1 {
		t.Errorf("Confirmation = %+v, want 1 flip and %d runs", r.Confirmation, 2*MaxConfirmSamples)
	}
}
