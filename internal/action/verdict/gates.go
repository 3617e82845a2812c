package verdict

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
)

// ParseFailOn reads the Action's `fail-on` input: a comma- or space-separated
// list of gate names, "all", or "none". An empty string means the config decides
// (nil). Unknown names are an error that lists the valid ones.
func ParseFailOn(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	if len(fields) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, f := range fields {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "all":
			out = append(out, GateNames...)
		case f == "none":
		case slices.Contains(GateNames, f):
			out = append(out, f)
		default:
			return nil, fmt.Errorf("parse fail-on: unknown gate %q (want %s, all or none)", f, strings.Join(GateNames, ", "))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// enabledGates decides which gates fail the check: the explicit list when given,
// else the config's gate section (regression, threshold and budget on by
// default; cost and latency when their percentage is set; errors off).
func enabledGates(failOn []string, c *config.Config) map[string]bool {
	on := map[string]bool{}
	if failOn != nil {
		for _, g := range failOn {
			on[g] = true
		}
		return on
	}
	on[GateRegression] = c.Gate.FailOnRegression
	on[GateThreshold] = c.Gate.FailOnThreshold
	on[GateCost] = c.Gate.MaxCostIncreasePct != nil
	on[GateBudget] = c.Gate.FailOnBudget
	on[GateLatency] = c.Gate.MaxLatencyP95IncreasePct != nil
	return on
}

func pct(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// gates evaluates every gate. The percentage gates (cost, latency) only fire
// when their limit is configured or fail-on names them (limit then 0%). Each finding is its own Gate so that annotations
// can point at its file and line; a gate with no finding is reported once, not fired.
func gates(r Result, on map[string]bool, c *config.Config) []Gate {
	var out []Gate
	emit := func(name string, found []Gate, quiet string) {
		if len(found) == 0 {
			out = append(out, Gate{Name: name, Enforced: on[name], Detail: quiet})
			return
		}
		for _, g := range found {
			g.Name, g.Enforced = name, on[name]
			out = append(out, g)
		}
	}
	emit(GateRegression, regressionFindings(r.Prompts, c.Gate.MaxPassRateDropPct), "no case regressed and no suite is significantly worse")
	emit(GateThreshold, thresholdFindings(r.Prompts), "every evaluated suite meets its threshold")
	cg := costFinding(r, c)
	if c.Gate.MaxCostIncreasePct == nil && !on[GateCost] {
		// No limit configured and not asked for: the table shows the change.
		cg[0].Fired = false
	}
	// The prompts that made the cost rise are pointed at once: under the cost
	// gate when it fired, else under the budget gate.
	bg := append(budgetFinding(r, c), ownerBudgetFindings(r, c)...)
	switch {
	case cg[0].Fired:
		cg = append(cg, costSources(r.Prompts)...)
	case len(bg) > 0:
		bg = append(bg, costSources(r.Prompts)...)
	}
	emit(GateCost, cg, "")
	emit(GateBudget, bg, budgetQuiet(r))
	var lat []Gate
	if c.Gate.MaxLatencyP95IncreasePct != nil || on[GateLatency] {
		lat = latencyFindings(r.Prompts, c.Gate.MaxLatencyP95IncreasePct)
	}
	emit(GateLatency, lat, "no p95 latency increase over the limit")
	emit(GateErrors, errorFindings(r.Prompts), "no new errored runs")
	return out
}

// regressionFindings fires per suite with a regressed case or a significant
// drop of its pass rate. Flaky and unconfirmed flips never fire it.
func regressionFindings(prompts []PromptDiff, maxDrop *float64) []Gate {
	var out []Gate
	for _, p := range prompts {
		worse := p.Stats != nil && p.Stats.Verdict == VerdictWorse
		if len(p.NewlyFailing) == 0 && !worse {
			continue
		}
		drop := (p.Base.PassRate() - p.Head.PassRate()) * 100
		line := 1
		var parts []string
		if n := len(p.NewlyFailing); n > 0 {
			first := p.NewlyFailing[0]
			line = first.Line
			s := first.UpFront.Total(first.Confirm)
			parts = append(parts, fmt.Sprintf("%d case(s) regressed (first: %s, base %d/%d · head %d/%d)",
				n, caseName(first), s.BasePassed, s.Base, s.HeadPassed, s.Head))
		}
		if worse {
			parts = append(parts, fmt.Sprintf("the suite is worse at head: %s (p = %s at alpha %g)", interval(p.Stats), pValue(p.Stats.PWorse), p.Stats.Alpha))
		} else {
			parts = append(parts, fmt.Sprintf("pass rate %s", points(-drop)))
		}
		g := Gate{File: p.SuitePath, Line: max(line, 1), Fired: true, Detail: describe(p) + ": " + strings.Join(parts, "; ")}
		if maxDrop != nil && drop <= *maxDrop+1e-9 {
			g.Fired = false
			g.Detail += fmt.Sprintf(", within max_pass_rate_drop_pct %g", *maxDrop)
		}
		out = append(out, g)
	}
	return out
}

// caseName names a case for a gate detail: its description, else its index.
func caseName(c CaseChange) string {
	if c.Description != "" {
		return fmt.Sprintf("%q", c.Description)
	}
	return fmt.Sprintf("line %d", c.Line)
}

// interval writes a suite's change with its 95% interval: "-5.0 pts (95% CI -9.1 to -0.9)".
func interval(s *SuiteStats) string {
	return fmt.Sprintf("%s (95%% CI %+.1f to %+.1f)", points(s.Diff*100), s.Lo*100, s.Hi*100)
}

// pValue writes a p-value with two significant digits, or "< 0.0001".
func pValue(p float64) string {
	if p < 0.0001 {
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

func thresholdFindings(prompts []PromptDiff) []Gate {
	var out []Gate
	for _, p := range prompts {
		h := p.Head
		if h == nil || h.Graded() == 0 || h.MeetsThreshold() {
			continue
		}
		out = append(out, Gate{File: p.SuitePath, Line: max(h.ThresholdLine, 1), Fired: true,
			Detail: fmt.Sprintf("%s: pass rate %.1f%%%s is below the threshold %.1f%%", describe(p), h.PassRate()*100, headInterval(p.Stats), h.Threshold*100)})
	}
	return out
}

// headInterval is head's pass rate interval for the threshold gate, or "".
func headInterval(s *SuiteStats) string {
	if s == nil || s.Cases < 2 {
		return ""
	}
	return fmt.Sprintf(" (95%% CI %.1f–%.1f%%)", s.HeadLo*100, s.HeadHi*100)
}

func costFinding(r Result, c *config.Config) []Gate {
	limit := pct(c.Gate.MaxCostIncreasePct)
	g := Gate{File: c.Path, Line: c.Line("gate.max_cost_increase_pct")}
	switch {
	case !r.CostComparable():
		g.Detail = "could not compare monthly cost: cost unknown for " + strings.Join(r.UnknownCost, ", ") + " (no price for its model, or not evaluated on both sides)"
	case r.HeadMonthly == 0 && r.BaseMonthly == 0:
		g.Detail = "no projected monthly cost (no traffic configured for the compared prompts)"
	case r.HeadMonthly <= r.BaseMonthly:
		g.Detail = fmt.Sprintf("projected monthly cost $%.2f → $%.2f did not increase", r.BaseMonthly, r.HeadMonthly)
	case r.BaseMonthly == 0:
		g.Fired = true
		g.Detail = fmt.Sprintf("projected monthly cost rises from $0 to $%.2f", r.HeadMonthly)
	default:
		inc := (r.HeadMonthly - r.BaseMonthly) / r.BaseMonthly * 100
		g.Fired = inc > limit+1e-9
		g.Detail = fmt.Sprintf("projected monthly cost $%.2f → $%.2f (+%.1f%%, limit %g%%)", r.BaseMonthly, r.HeadMonthly, inc, limit)
	}
	return []Gate{g}
}

// costSources points a cost or budget finding at the prompts that made it:
// the `model:` line of each prompt whose projected cost rose, which the PR is
// far likelier to have touched than promptgate.yaml's gate keys.
func costSources(prompts []PromptDiff) []Gate {
	var out []Gate
	for _, p := range prompts {
		if p.Head == nil || p.PromptPath == "" || !p.BaseCostKnown || !p.HeadCostKnown || p.HeadCostPerReq <= p.BaseCostPerReq {
			continue
		}
		detail := fmt.Sprintf("%s: cost per 1k requests $%.4f → $%.4f", describe(p), p.BaseCostPerReq*1000, p.HeadCostPerReq*1000)
		if p.Base != nil && p.Base.Model != p.Head.Model {
			detail += fmt.Sprintf(" (model %s → %s)", p.Base.Model, p.Head.Model)
		}
		if p.HasTraffic {
			detail += fmt.Sprintf(", projected $%.2f → $%.2f/month", p.BaseMonthly, p.HeadMonthly)
		}
		out = append(out, Gate{File: p.PromptPath, Line: max(p.Head.ModelLine, 1), Fired: true, Detail: detail})
	}
	return out
}

func budgetFinding(r Result, c *config.Config) []Gate {
	if !r.Budget.Over {
		return nil
	}
	return []Gate{{Fired: true, File: c.Path, Line: c.Line("budget." + periodKey(c.Budget.Period)),
		Detail: fmt.Sprintf("projected $%.2f/month exceeds the budget of %s (%.0f%%)", r.Budget.ProjectedUSD, budgetAmount(c.Budget.Amount), r.Budget.Fraction*100)}}
}

// periodKey is the budget key a period is written with.
func periodKey(period string) string {
	switch period {
	case "daily":
		return "daily_usd"
	case "weekly":
		return "weekly_usd"
	}
	return "monthly_usd"
}

func budgetQuiet(r Result) string {
	if r.Budget.MonthlyUSD <= 0 {
		return "no budget configured"
	}
	return fmt.Sprintf("projected $%.2f/month is within the budget of $%.2f", r.Budget.ProjectedUSD, r.Budget.MonthlyUSD)
}

func latencyFindings(prompts []PromptDiff, maxInc *float64) []Gate {
	limit := pct(maxInc)
	var out []Gate
	for _, p := range prompts {
		if p.Base == nil || p.Head == nil || p.Base.Graded() == 0 || p.Head.Graded() == 0 || p.Base.LatencyP95 <= 0 {
			continue
		}
		inc := (float64(p.Head.LatencyP95) - float64(p.Base.LatencyP95)) / float64(p.Base.LatencyP95) * 100
		if inc <= limit+1e-9 {
			continue
		}
		out = append(out, Gate{File: p.SuitePath, Line: 1, Fired: true,
			Detail: fmt.Sprintf("%s: p95 latency %dms → %dms (+%.0f%%, limit %g%%)", describe(p),
				p.Base.LatencyP95.Milliseconds(), p.Head.LatencyP95.Milliseconds(), inc, limit)})
	}
	return out
}

func errorFindings(prompts []PromptDiff) []Gate {
	var out []Gate
	for _, p := range prompts {
		if len(p.NewErrors) == 0 {
			continue
		}
		out = append(out, Gate{File: p.SuitePath, Line: p.NewErrors[0].Line, Fired: true,
			Detail: fmt.Sprintf("%s: %d case run(s) error at head (model call failed after retries)", describe(p), len(p.NewErrors))})
	}
	return out
}

// points formats a pass-rate change in percentage points with its sign.
func points(v float64) string {
	if math.Abs(v) < 0.05 {
		return "±0 pts"
	}
	return fmt.Sprintf("%+.1f pts", v)
}
