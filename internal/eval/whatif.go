package eval

import (
	"sort"

	"github.com/promptgate/promptgate/internal/cost"
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
	// Recommended: the candidate loses no passing case, every one of its runs
	// was graded, and it costs less.
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
// gives a prompt's traffic (0 when none is configured).
func CompareCandidates(head *Report, candidates map[string]*Report, requestsPerDay func(prompt string) float64) []Candidate {
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
		for i, hs := range head.Suites {
			if i >= len(candidates[model].Suites) {
				break
			}
			cs := candidates[model].Suites[i]
			k := promptKey{hs.Prompt, hs.Variant}
			c, ok := byPrompt[k]
			if !ok {
				c = &Candidate{Prompt: hs.Prompt, Variant: hs.Variant, HeadModel: hs.Model, Model: model}
				byPrompt[k], headCost[k], candCost[k] = c, &costSum{known: true}, &costSum{known: true}
				order = append(order, k)
			}
			headCost[k].add(hs)
			candCost[k].add(cs)
			headPassed[k] += hs.Passed
			headGraded[k] += hs.Graded()
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
			c.Recommended = len(c.Lost) == 0 && c.Errored == 0 && c.Skipped == 0 && c.Graded > 0 &&
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
