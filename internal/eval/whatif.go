package eval

import (
	"slices"
	"sort"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/stats"
)

// Candidate is the what-if of one prompt on one cheaper model: the prompt's
// suites run unchanged but for the model, compared case by case with the same
// suites on the prompt's own model.
type Candidate struct {
	Prompt  string `json:"prompt"`
	Variant string `json:"variant,omitempty"`
	// HeadModel is the model the prompt names; Model is the candidate.
	HeadModel string `json:"head_model"`
	Model     string `json:"model"`

	Passed       int     `json:"passed"`
	Graded       int     `json:"graded"`
	PassRate     float64 `json:"pass_rate"`
	HeadPassRate float64 `json:"head_pass_rate"`
	// Errored and Skipped count the candidate's runs that were not graded.
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
	// Lost are cases that pass on the head model and not on the candidate;
	// Won the reverse.
	Lost []CaseRef `json:"lost,omitempty"`
	Won  []CaseRef `json:"won,omitempty"`

	// CostPer1K and HeadCostPer1K are USD per 1,000 requests; nil when a
	// model has no price (unknown, never $0).
	CostPer1K     *float64 `json:"cost_per_1k_usd"`
	HeadCostPer1K *float64 `json:"head_cost_per_1k_usd"`
	// MonthlyUSD and SavingUSD project traffic.<prompt>.requests_per_day;
	// nil without traffic or a price.
	MonthlyUSD     *float64 `json:"monthly_usd,omitempty"`
	HeadMonthlyUSD *float64 `json:"head_monthly_usd,omitempty"`
	SavingUSD      *float64 `json:"monthly_saving_usd,omitempty"`
	// Diff is the candidate's pass rate minus the prompt model's, paired by
	// case (each case weighted once); DiffLo and DiffHi bound it at 95%
	// (adjusted Wald: one case lost and one won are added).
	Diff   float64 `json:"pass_rate_diff"`
	DiffLo float64 `json:"pass_rate_diff_lo"`
	DiffHi float64 `json:"pass_rate_diff_hi"`
	// Margin is candidates_margin in points of pass rate; NonInferior says
	// DiffLo is above −Margin: at the 95% level the candidate loses at most
	// Margin points.
	Margin      float64 `json:"margin_pts"`
	NonInferior bool    `json:"non_inferior"`
	// HeadMeetsThreshold says every suite of the prompt met its threshold on
	// the prompt's own model; a candidate is never recommended otherwise.
	HeadMeetsThreshold bool `json:"head_meets_threshold"`
	// Recommended: the candidate is non-inferior, the prompt's model passes
	// its suites, every candidate run was graded, and it costs less.
	Recommended bool `json:"recommended"`
}

// CaseRef names one case run for a what-if's lost and won lists.
type CaseRef struct {
	Suite       string `json:"suite"`
	Line        int    `json:"line"`
	Description string `json:"description"`
	Repeat      int    `json:"repeat,omitempty"`
}

// CompareCandidates compares a run of suites on their own models (head) with
// runs of the same suites on each candidate model, per prompt. requestsPerDay
// gives a prompt's traffic (0 when none is configured); marginPts is the
// non-inferiority margin (candidates_margin) in points of pass rate.
func CompareCandidates(head *Report, candidates map[string]*Report, requestsPerDay func(prompt string) float64, marginPts float64) []Candidate {
	type promptKey struct{ prompt, variant string }
	var out []Candidate
	models := make([]string, 0, len(candidates))
	for m := range candidates {
		models = append(models, m)
	}
	sort.Strings(models)
	for _, model := range models {
		byPrompt := map[promptKey]*Candidate{}
		var order []promptKey
		headCost, candCost := map[promptKey]*costSum{}, map[promptKey]*costSum{}
		headPassed := map[promptKey]int{}
		headGraded := map[promptKey]int{}
		paired := map[promptKey]*pairedCases{}
		for i, hs := range head.Suites {
			if i >= len(candidates[model].Suites) {
				break
			}
			cs := candidates[model].Suites[i]
			k := promptKey{hs.Prompt, hs.Variant}
			c, ok := byPrompt[k]
			if !ok {
				c = &Candidate{Prompt: hs.Prompt, Variant: hs.Variant, HeadModel: hs.Model, Model: model, Margin: marginPts, HeadMeetsThreshold: true}
				byPrompt[k], headCost[k], candCost[k] = c, &costSum{known: true}, &costSum{known: true}
				paired[k] = &pairedCases{}
				order = append(order, k)
			}
			headCost[k].add(hs)
			candCost[k].add(cs)
			headPassed[k] += hs.Passed
			headGraded[k] += hs.Graded()
			c.HeadMeetsThreshold = c.HeadMeetsThreshold && hs.MeetsThreshold()
			paired[k].add(i, hs, cs)
			c.Passed += cs.Passed
			c.Graded += cs.Graded()
			c.Errored += cs.Errored
			c.Skipped += cs.Skipped
			headStatus := map[CaseKey]Status{}
			for _, hc := range hs.Cases {
				headStatus[hc.Key()] = hc.Status
			}
			for _, cc := range cs.Cases {
				ref := CaseRef{Suite: cs.Path, Line: cc.Line, Description: cc.Description, Repeat: cc.Repeat}
				switch hst := headStatus[cc.Key()]; {
				case hst == StatusPass && cc.Status != StatusPass:
					c.Lost = append(c.Lost, ref)
				case hst == StatusFail && cc.Status == StatusPass:
					c.Won = append(c.Won, ref)
				}
			}
		}
		for _, k := range order {
			c := byPrompt[k]
			if c.Graded > 0 {
				c.PassRate = float64(c.Passed) / float64(c.Graded)
			}
			if headGraded[k] > 0 {
				c.HeadPassRate = float64(headPassed[k]) / float64(headGraded[k])
			}
			c.HeadCostPer1K, c.CostPer1K = headCost[k].per1K(), candCost[k].per1K()
			if rpd := requestsPerDay(k.prompt); rpd > 0 && c.CostPer1K != nil && c.HeadCostPer1K != nil {
				m, hm := cost.MonthlyCost(*c.CostPer1K/1000, rpd), cost.MonthlyCost(*c.HeadCostPer1K/1000, rpd)
				saving := hm - m
				c.MonthlyUSD, c.HeadMonthlyUSD, c.SavingUSD = &m, &hm, &saving
			}
			pd := stats.PairedDiff(paired[k].cases, 0.95)
			// The bounds come from Bonett and Price's adjusted Wald interval
			// (2012): one more case lost and one more won, so that a small
			// suite with no disagreement does not get a zero-width interval.
			adj := stats.PairedDiff(append(slices.Clone(paired[k].cases),
				stats.Case{BasePass: 1, BaseN: 1, HeadN: 1}, stats.Case{BaseN: 1, HeadPass: 1, HeadN: 1}), 0.95)
			c.Diff, c.DiffLo, c.DiffHi = pd.Diff, adj.Lo, adj.Hi
			c.NonInferior = pd.N > 0 && c.DiffLo*100 >= -marginPts-1e-9
			c.Recommended = c.NonInferior && c.HeadMeetsThreshold && c.Errored == 0 && c.Skipped == 0 && c.Graded > 0 &&
				c.CostPer1K != nil && c.HeadCostPer1K != nil && *c.CostPer1K < *c.HeadCostPer1K
			out = append(out, *c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Prompt != out[j].Prompt {
			return out[i].Prompt < out[j].Prompt
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}

// costSum adds up graded runs and their cost across a prompt's suites.
type costSum struct {
	usd   float64
	n     int
	known bool
}

func (c *costSum) add(s *SuiteResult) {
	c.usd += s.CostUSD
	c.n += s.Graded()
	c.known = c.known && s.CostKnown
}

func (c *costSum) per1K() *float64 {
	if !c.known || c.n == 0 {
		return nil
	}
	v := c.usd / float64(c.n) * 1000
	return &v
}

// pairedCases gathers a prompt's cases, each with its passes on the prompt's
// model (base) and on the candidate (head), repeats clustered by case.
type pairedCases struct {
	cases []stats.Case
}

func (p *pairedCases) add(suite int, head, cand *SuiteResult) {
	type id struct {
		suite, index int
		desc         string
	}
	at := map[id]int{}
	get := func(c CaseResult) *stats.Case {
		k := id{suite, c.Index, c.Description}
		i, ok := at[k]
		if !ok {
			i = len(p.cases)
			at[k] = i
			p.cases = append(p.cases, stats.Case{})
		}
		return &p.cases[i]
	}
	for _, c := range head.Cases {
		if c.Status == StatusPass || c.Status == StatusFail {
			sc := get(c)
			sc.BaseN++
			if c.Status == StatusPass {
				sc.BasePass++
			}
		}
	}
	for _, c := range cand.Cases {
		if c.Status == StatusPass || c.Status == StatusFail {
			sc := get(c)
			sc.HeadN++
			if c.Status == StatusPass {
				sc.HeadPass++
			}
		}
	}
}
