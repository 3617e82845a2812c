package verdict

import (
	"maps"
	"math"
	"slices"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
)

// MaxRecords bounds the prompts recorded in one check run's hidden line, so
// that a change touching hundreds of prompts keeps its summary for the report
// (about 110 bytes each). The first keys in sort order are kept.
const MaxRecords = 50

// Trend is one affected prompt's history on the default branch: the records
// of earlier check runs, oldest first, then this check's head.
type Trend struct {
	Key    string       `json:"key"`
	Points []TrendPoint `json:"points"`
}

// TrendPoint is one check run's record of a prompt. SHA is the commit it ran
// on; Head marks the pull request's own point, which comes last.
type TrendPoint struct {
	SHA    string                  `json:"sha"`
	Head   bool                    `json:"head,omitempty"`
	Record projection.PromptRecord `json:"record"`
}

// Recorded is one earlier check run on the default branch: its commit and the
// per-prompt records hidden in its summary.
type Recorded struct {
	SHA     string
	Prompts map[string]projection.PromptRecord
}

// AddTrends charts, for each compared prompt that has a head record, its
// records in history (oldest first) followed by the head's. A prompt with no
// earlier record gets no trend: one point is not a trend.
func (r *Result) AddTrends(history []Recorded, headSHA string) {
	r.Trends = nil
	seen := map[string]bool{}
	for _, p := range r.Prompts {
		if seen[p.Key] {
			continue
		}
		seen[p.Key] = true
		head, ok := r.Projection.Prompts[p.Key]
		if !ok {
			continue
		}
		t := Trend{Key: p.Key}
		for _, h := range history {
			if rec, ok := h.Prompts[p.Key]; ok && h.SHA != headSHA {
				t.Points = append(t.Points, TrendPoint{SHA: h.SHA, Record: rec})
			}
		}
		if len(t.Points) == 0 {
			continue
		}
		t.Points = append(t.Points, TrendPoint{SHA: headSHA, Head: true, Record: head})
		r.Trends = append(r.Trends, t)
	}
}

// AddRecords adds the records of prompts evaluated only for the history (a
// push to the default branch records every prompt, not only those it
// affects) to the hidden line, keeping those already there and at most
// MaxRecords in all.
func (r *Result) AddRecords(rep *eval.Report, prices *cost.Table) {
	if rep == nil {
		return
	}
	var ps []PromptDiff
	for _, s := range rep.Suites {
		if _, ok := r.Projection.Prompts[PromptKey(s.Prompt, s.Variant)]; ok {
			continue
		}
		p := PromptDiff{Key: PromptKey(s.Prompt, s.Variant), Head: s}
		p.HeadCostPerReq, p.HeadCostKnown = costPerRequest(s, prices)
		ps = append(ps, p)
	}
	recs := records(ps)
	if len(recs) == 0 {
		return
	}
	if r.Projection.Prompts == nil {
		r.Projection.Prompts = map[string]projection.PromptRecord{}
	}
	for _, k := range slices.Sorted(maps.Keys(recs)) {
		if len(r.Projection.Prompts) >= MaxRecords {
			break
		}
		r.Projection.Prompts[k] = recs[k]
	}
}

// records are the hidden per-prompt figures at head: pass rate over every
// graded head run of the prompt, cost per 1k requests at the head price
// table (known only when every suite could be priced), the highest p95 over
// its suites and the prompt's content hash.
func records(prompts []PromptDiff) map[string]projection.PromptRecord {
	type acc struct {
		passed, graded int
		cost           float64
		priced         bool
		p95            int64
		hash           string
	}
	byKey := map[string]*acc{}
	for _, p := range prompts {
		if p.Head == nil || p.Head.Graded() == 0 {
			continue
		}
		a := byKey[p.Key]
		if a == nil {
			a = &acc{priced: true}
			byKey[p.Key] = a
		}
		a.passed += p.Head.Passed
		a.graded += p.Head.Graded()
		if p.HeadCostKnown {
			a.cost += p.HeadCostPerReq * float64(p.Head.Graded())
		} else {
			a.priced = false
		}
		a.p95 = max(a.p95, p.Head.LatencyP95.Milliseconds())
		if a.hash == "" {
			a.hash = p.Head.PromptHash
		}
	}
	if len(byKey) == 0 {
		return nil
	}
	out := make(map[string]projection.PromptRecord, len(byKey))
	keys := slices.Sorted(maps.Keys(byKey))
	for _, k := range keys[:min(len(keys), MaxRecords)] {
		a := byKey[k]
		rate := round(float64(a.passed)/float64(a.graded), 1e4)
		r := projection.PromptRecord{PassRate: &rate, Hash: a.hash}
		if a.priced {
			c := round(a.cost/float64(a.graded)*1000, 1e6)
			r.CostPer1K = &c
		}
		if a.p95 > 0 {
			p95 := a.p95
			r.P95MS = &p95
		}
		out[k] = r
	}
	return out
}

// round keeps a recorded figure short: v to the nearest 1/scale.
func round(v, scale float64) float64 { return math.Round(v*scale) / scale }
