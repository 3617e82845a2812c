package eval

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// suiteOf builds a finished suite result from statuses and a per-run cost.
func suiteOf(path, prompt, model string, costPerRun float64, known bool, statuses ...Status) *SuiteResult {
	s := &SuiteResult{Path: path, Prompt: prompt, Model: model}
	for i, st := range statuses {
		s.Cases = append(s.Cases, CaseResult{Index: i, Line: 3 + 3*i, Description: string(rune('a' + i)), Status: st,
			CostUSD: costPerRun, CostKnown: known})
	}
	s.finish()
	return s
}

func TestCompareCandidates(t *testing.T) {
	t.Parallel()
	P, F, E := StatusPass, StatusFail, StatusError
	head := &Report{Suites: []*SuiteResult{
		suiteOf("evals/a.yaml", "classify", "gpt-4o", 0.002, true, P, P, F, P),
		suiteOf("evals/b.yaml", "classify", "gpt-4o", 0.002, true, P, P),
	}}
	tests := []struct {
		name          string
		cand          *Report
		rpd           float64
		wantLost      int
		wantWon       int
		wantRecommend bool
		wantCost      *float64
		wantSaving    *float64
	}{
		// six cases cannot show at 95% that the candidate loses at most 2
		// points (TestCandidateNonInferiority has the large suites)
		{"cheaper, loses nothing, wins one, but six cases prove little", &Report{Suites: []*SuiteResult{
			suiteOf("evals/a.yaml", "classify", "mini", 0.0005, true, P, P, P, P),
			suiteOf("evals/b.yaml", "classify", "mini", 0.0005, true, P, P)}},
			1000, 0, 1, false, ptr(0.5), ptr((2.0 - 0.5) * 365.0 / 12)},
		{"cheaper but loses a case", &Report{Suites: []*SuiteResult{
			suiteOf("evals/a.yaml", "classify", "mini", 0.0005, true, P, F, F, P),
			suiteOf("evals/b.yaml", "classify", "mini", 0.0005, true, P, P)}},
			1000, 1, 0, false, ptr(0.5), ptr((2.0 - 0.5) * 365.0 / 12)},
		{"an errored run is not a pass", &Report{Suites: []*SuiteResult{
			suiteOf("evals/a.yaml", "classify", "mini", 0.0005, true, P, P, F, E),
			suiteOf("evals/b.yaml", "classify", "mini", 0.0005, true, P, P)}},
			0, 1, 0, false, ptr(0.5), nil},
		{"no price is unknown, never $0", &Report{Suites: []*SuiteResult{
			suiteOf("evals/a.yaml", "classify", "mystery", 0, false, P, P, F, P),
			suiteOf("evals/b.yaml", "classify", "mystery", 0, false, P, P)}},
			1000, 0, 0, false, nil, nil},
		{"dearer loses nothing but is not recommended", &Report{Suites: []*SuiteResult{
			suiteOf("evals/a.yaml", "classify", "big", 0.01, true, P, P, F, P),
			suiteOf("evals/b.yaml", "classify", "big", 0.01, true, P, P)}},
			1000, 0, 0, false, ptr(10.0), ptr((2.0 - 10.0) * 365.0 / 12)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := CompareCandidates(head, map[string]*Report{"cand": tt.cand}, func(string) float64 { return tt.rpd }, 2)
			if len(got) != 1 {
				t.Fatalf("%d rows, want one per prompt and candidate", len(got))
			}
			c := got[0]
			if len(c.Lost) != tt.wantLost || len(c.Won) != tt.wantWon || c.Recommended != tt.wantRecommend {
				t.Errorf("lost %v won %v recommended %v", c.Lost, c.Won, c.Recommended)
			}
			approx := cmp.Comparer(func(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 })
			if diff := cmp.Diff(tt.wantCost, c.CostPer1K, approx); diff != "" {
				t.Errorf("cost per 1k (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSaving, c.SavingUSD, approx); diff != "" {
				t.Errorf("saving (-want +got):\n%s", diff)
			}
			if c.HeadCostPer1K == nil || *c.HeadCostPer1K < 1.999 || *c.HeadCostPer1K > 2.001 {
				t.Errorf("head cost per 1k = %v, want $2", c.HeadCostPer1K)
			}
			if c.HeadPassRate < 0.833 || c.HeadPassRate > 0.834 {
				t.Errorf("head pass rate %v, want 5/6", c.HeadPassRate)
			}
		})
	}
}

func ptr(v float64) *float64 { return &v }

// TestCandidateNonInferiority: a candidate is recommended when, at 95%, it
// loses at most candidates_margin points of pass rate, paired by case, and
// never when the prompt's own model fails its suite.
func TestCandidateNonInferiority(t *testing.T) {
	t.Parallel()
	statuses := func(n, fails int) []Status {
		out := make([]Status, n)
		for i := range out {
			out[i] = StatusPass
			if i < fails {
				out[i] = StatusFail
			}
		}
		return out
	}
	tests := []struct {
		name       string
		headFails  int
		candFails  int
		threshold  float64
		recommend  bool
		loLessThan float64
	}{
		// adjusted: 200 ties plus one lost and one won: sd √(2/201), lower
		// bound −1.96·√(2/201/202) = −1.38 pts
		{"ties on 200 cases", 0, 0, 0.9, true, -0.01376},
		// 1 of 200 lost: −0.5 pts; adjusted lower bound −2.17 pts
		{"loses one case of 200", 0, 1, 0.9, false, -0.02166},
		{"ties on 4 cases prove little", 0, 0, 0.9, false, -0.50606},
		{"ties, but the prompt's model fails its suite", 30, 30, 0.9, false, -0.01376},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := 200
			if strings.Contains(tt.name, "4 cases") {
				n = 4
			}
			h := suiteOf("evals/a.yaml", "p", "big", 0.01, true, statuses(n, tt.headFails)...)
			h.Threshold = tt.threshold
			c := suiteOf("evals/a.yaml", "p", "mini", 0.001, true, statuses(n, tt.candFails)...)
			got := CompareCandidates(&Report{Suites: []*SuiteResult{h}}, map[string]*Report{"mini": {Suites: []*SuiteResult{c}}},
				func(string) float64 { return 0 }, 2)[0]
			if got.Recommended != tt.recommend {
				t.Errorf("recommended = %v, want %v (diff %.4f, 95%% CI %.4f to %.4f, head meets threshold %v)",
					got.Recommended, tt.recommend, got.Diff, got.DiffLo, got.DiffHi, got.HeadMeetsThreshold)
			}
			if got.DiffLo > tt.loLessThan+0.0002 || got.DiffLo < tt.loLessThan-0.0002 {
				t.Errorf("DiffLo = %.5f, want about %.4f", got.DiffLo, tt.loLessThan)
			}
		})
	}
}
