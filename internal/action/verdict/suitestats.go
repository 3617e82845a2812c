package verdict

import (
	"github.com/promptgate/promptgate/internal/stats"
)

// Suite verdicts (SuiteStats.Verdict).
const (
	VerdictWorse      = "worse"
	VerdictNoEvidence = "no evidence"
	VerdictBetter     = "better"
)

// Level is the confidence level of every interval a check reports.
const Level = 0.95

// SuiteStats is a suite's change base → head with its uncertainty
// (docs/verdicts.md).
type SuiteStats struct {
	// Cases counts the cases graded at both sides.
	Cases int `json:"cases"`
	// BaseRate, HeadRate and Diff are from the up-front samples, each case
	// weighted once; Lo and Hi bound Diff at 95%, clustered by case.
	BaseRate float64 `json:"base_rate"`
	HeadRate float64 `json:"head_rate"`
	Diff     float64 `json:"diff"`
	Lo       float64 `json:"diff_lo"`
	Hi       float64 `json:"diff_hi"`
	// HeadLo and HeadHi bound head's pass rate at 95%, for the threshold.
	HeadLo float64 `json:"head_lo"`
	HeadHi float64 `json:"head_hi"`
	// PWorse and PBetter are the one-sided p-values of the sign-flip test on
	// the per-case differences, confirmation samples included.
	PWorse  float64 `json:"p_worse"`
	PBetter float64 `json:"p_better"`
	// Alpha is the level the verdict was reached at (gate.alpha, at base).
	Alpha   float64 `json:"alpha"`
	Verdict string  `json:"verdict"`
}

// suiteStats computes a suite's statistics from the pairs compareCases
// gathered; nil when no case was graded at both sides.
func suiteStats(p *PromptDiff, alpha float64) *SuiteStats {
	if len(p.upFront) == 0 {
		return nil
	}
	pd := stats.PairedDiff(p.upFront, Level)
	if pd.N == 0 {
		return nil
	}
	st := &SuiteStats{Cases: pd.N, BaseRate: pd.BaseRate, HeadRate: pd.HeadRate, Diff: pd.Diff, Lo: pd.Lo, Hi: pd.Hi, Alpha: alpha}
	var head, d []float64
	for _, c := range p.upFront {
		if _, ok := c.Diff(); ok {
			head = append(head, float64(c.HeadPass)/float64(c.HeadN))
		}
	}
	_, st.HeadLo, st.HeadHi = stats.MeanInterval(head, Level)
	for _, c := range p.allSamples {
		if x, ok := c.Diff(); ok {
			d = append(d, x)
		}
	}
	st.PWorse, st.PBetter = stats.SignFlip(d)
	switch {
	case st.PWorse <= alpha:
		st.Verdict = VerdictWorse
	case st.PBetter <= alpha:
		st.Verdict = VerdictBetter
	default:
		st.Verdict = VerdictNoEvidence
	}
	return st
}
