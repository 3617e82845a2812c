// Package projection is the contract between the promptgate check run and the
// GitHub App: the check embeds each flag's projected monthly cost in its summary as
// one hidden HTML comment, and the App reads it back to quote the cost of a rollout.
//
// The summary also quotes model output and pull-request text, which can contain
// a line that looks exactly like the marker. So the check writes the real line
// last, and Extract reads only a marker that ends the summary: text quoted
// earlier can never be the one read, and a summary cut short (which loses the
// real line) yields no projection rather than a quoted one.
package projection

import (
	"encoding/json"
	"math"
	"strings"
)

// marker opens the hidden line; the JSON object follows it and " -->" closes it.
const marker = "<!-- promptgate:projection "

// FlagCost is a flag's projected monthly cost with all traffic on each variant.
type FlagCost struct {
	StableMonthlyUSD  float64 `json:"stable_monthly_usd"`
	RolloutMonthlyUSD float64 `json:"rollout_monthly_usd"`
}

// Projection holds the per-flag costs a check run publishes, and a record of
// each prompt it evaluated at head, from which a pull request's check charts
// the default branch's history (docs/trends.md).
type Projection struct {
	Flags map[string]FlagCost `json:"flags"`
	// Prompts maps a prompt key ("summarize", "summarize.v2") to its record.
	Prompts map[string]PromptRecord `json:"prompts,omitempty"`
}

// PromptRecord is one prompt's figures at head in one check run. A figure
// that is not known (no graded run, no price) is nil, never 0.
type PromptRecord struct {
	// PassRate is passed/graded in 0..1.
	PassRate *float64 `json:"pass_rate,omitempty"`
	// CostPer1K is the cost of 1,000 requests in USD.
	CostPer1K *float64 `json:"cost_per_1k_usd,omitempty"`
	// P95MS is the p95 call latency in milliseconds.
	P95MS *int64 `json:"p95_ms,omitempty"`
	// Hash is the prompt's content hash (gen_ai.prompt.version).
	Hash string `json:"hash,omitempty"`
}

// Encode renders p as the hidden line the check appends to its summary. It must
// be the last thing in the summary (trailing whitespace aside); see Extract.
func Encode(p Projection) string {
	if p.Flags == nil {
		p.Flags = map[string]FlagCost{}
	}
	// Marshal cannot fail for this type except on NaN/Inf. Such a cost is unknown:
	// leave the flag out, so the App quotes no cost rather than a made-up $0.
	clean := Projection{Flags: make(map[string]FlagCost, len(p.Flags))}
	for k, r := range p.Prompts {
		if r.PassRate != nil && !finite(*r.PassRate) {
			r.PassRate = nil
		}
		if r.CostPer1K != nil && !finite(*r.CostPer1K) {
			r.CostPer1K = nil
		}
		if clean.Prompts == nil {
			clean.Prompts = map[string]PromptRecord{}
		}
		clean.Prompts[k] = r
	}
	for k, v := range p.Flags {
		if finite(v.StableMonthlyUSD) && finite(v.RolloutMonthlyUSD) {
			clean.Flags[k] = v
		}
	}
	b, _ := json.Marshal(clean)
	// "-->" cannot appear: json.Marshal escapes '>' as \u003e.
	return marker + string(b) + " -->"
}

// Extract reads the hidden projection line that ends a check-run summary. It
// reports false when the summary does not end with one (only whitespace may
// follow it), or when it does not decode. A marker anywhere else, such as one
// quoted from a model's output inside a code block, is ignored.
func Extract(summary string) (Projection, bool) {
	rest := strings.TrimRight(summary, " \t\r\n")
	body, ok := strings.CutSuffix(rest, "-->")
	if !ok {
		return Projection{}, false
	}
	i := strings.LastIndex(body, marker)
	if i < 0 || (i > 0 && body[i-1] != '\n') {
		return Projection{}, false
	}
	js := body[i+len(marker):]
	if strings.Contains(js, "-->") {
		// Another comment closes after this marker: it is not ours.
		return Projection{}, false
	}
	var p Projection
	if err := json.Unmarshal([]byte(strings.TrimSpace(js)), &p); err != nil || p.Flags == nil {
		return Projection{}, false
	}
	return p, true
}

// AtShare is the monthly cost with pct percent of traffic on the rollout variant
// and the rest on the stable one. pct is clamped to 0..100.
func (f FlagCost) AtShare(pct int) float64 {
	pct = max(0, min(100, pct))
	share := float64(pct) / 100
	return f.StableMonthlyUSD*(1-share) + f.RolloutMonthlyUSD*share
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
