package report

import (
	"encoding/json"
	"fmt"
	"html"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// maxGateLines bounds the findings listed per gate; the rest are counted.
const maxGateLines = 10

func diffHeader(r verdict.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", mdsafe.Inline(DiffTitle(r)))
	fmt.Fprintf(&b, "**Conclusion: %s**", r.Conclusion)
	if n := len(r.Prompts); n > 0 {
		fmt.Fprintf(&b, " · %s compared", plural(n, "suite", "suites"))
	}
	b.WriteString("\n\n")
	writeGates(&b, r)
	writeBudget(&b, r)
	writeConfirmation(&b, r)
	if len(r.Skipped) > 0 {
		b.WriteString("**Skipped:**\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "- %s\n", mdsafe.Inline(oneLine(s)))
		}
		b.WriteString("\n")
	}
	b.WriteString(ConfigChanges(r))
	return b.String()
}

func writeGates(b *strings.Builder, r verdict.Result) {
	fired := r.Fired()
	if len(fired) == 0 {
		b.WriteString("No gate fired.\n\n")
	} else {
		b.WriteString("**Gates fired:**\n")
		count := map[string]int{}
		for _, g := range fired {
			count[g.Name]++
			if count[g.Name] > maxGateLines {
				continue
			}
			mark, note := "❌", ""
			if !g.Enforced {
				mark, note = "⚠️", " (not enforced)"
			}
			fmt.Fprintf(b, "- %s `%s`%s — %s\n", mark, g.Name, note, mdsafe.Inline(oneLine(g.Detail)))
		}
		for _, name := range verdict.GateNames {
			if n := count[name] - maxGateLines; n > 0 {
				fmt.Fprintf(b, "- … and %d more `%s` findings\n", n, name)
			}
		}
		b.WriteString("\n")
	}
	for _, g := range r.Gates {
		if g.Name == verdict.GateCost && !r.CostComparable() {
			fmt.Fprintf(b, "ℹ️ Cost: %s.\n\n", mdsafe.Inline(oneLine(g.Detail)))
		}
	}
}

func writeBudget(b *strings.Builder, r verdict.Result) {
	p := r.Budget
	unknown := ""
	if n := len(r.HeadUnknownCost); n > 0 {
		unknown = fmt.Sprintf(" · %s with unknown cost not included", plural(n, "prompt", "prompts"))
	}
	if p.MonthlyUSD <= 0 {
		fmt.Fprintf(b, "**Budget:** none set (`budget.monthly_usd`); projected %s/month for the compared prompts%s.\n\n", USD(r.HeadMonthly, true), unknown)
		return
	}
	fmt.Fprintf(b, "**Budget:** projected %s/month of %s (%s) for the compared prompts", USD(p.ProjectedUSD, true), USD(p.MonthlyUSD, true), Percent(p.Fraction))
	if len(p.Crossed) > 0 {
		var alerts []string
		for _, a := range p.Crossed {
			alerts = append(alerts, Percent(a))
		}
		mark := "🔔"
		if p.Over {
			mark = "🚨"
		}
		fmt.Fprintf(b, " · %s alert %s reached", mark, strings.Join(alerts, ", "))
	}
	b.WriteString(unknown + ".\n\n")
}

// promptTables renders a base/head/change table for each compared suite.
func promptTables(r verdict.Result) (string, error) {
	var b strings.Builder
	for _, p := range r.Prompts {
		fmt.Fprintf(&b, "### `%s`", codeSpan(p.Key))
		if p.SuitePath != "" {
			fmt.Fprintf(&b, " · %s", mdsafe.Inline(p.SuitePath))
		}
		b.WriteString("\n\n")
		if len(p.Reasons) > 0 {
			fmt.Fprintf(&b, "Affected: %s.\n\n", mdsafe.Inline(oneLine(strings.Join(p.Reasons, "; "))))
		}
		if p.Base == nil && p.Head == nil {
			b.WriteString("Not evaluated.\n\n")
			continue
		}
		t := NewTable(&b, true)
		t.Header("", "base", "head", "change")
		for _, row := range promptRows(p) {
			if err := t.Append(row[0], row[1], row[2], row[3]); err != nil {
				return "", fmt.Errorf("render prompt table: %w", err)
			}
		}
		if err := t.Render(); err != nil {
			return "", fmt.Errorf("render prompt table: %w", err)
		}
		b.WriteString("\n")
		flaky, err := flakySection(p)
		if err != nil {
			return "", err
		}
		b.WriteString(flaky)
	}
	return b.String(), nil
}

func promptRows(p verdict.PromptDiff) [][4]string {
	side := func(s *eval.SuiteResult, f func(*eval.SuiteResult) string) string {
		if s == nil {
			return "—"
		}
		return f(s)
	}
	// A change is only meaningful when both sides graded something: a side whose
	// runs were all skipped (no key, no recorded response) has no figures.
	both := p.Base != nil && p.Head != nil && p.Base.Graded() > 0 && p.Head.Graded() > 0
	change := func(f func() string) string {
		if !both {
			return ""
		}
		return f()
	}
	passChange := change(func() string {
		parts := []string{points((p.Head.PassRate() - p.Base.PassRate()) * 100)}
		if n := len(p.NewlyFailing); n > 0 {
			parts = append(parts, fmt.Sprintf("❌ %d regressed", n))
		}
		if n := len(p.NewlyPassing); n > 0 {
			parts = append(parts, fmt.Sprintf("✅ %d improved", n))
		}
		if n := len(p.Flaky); n > 0 {
			parts = append(parts, fmt.Sprintf("〰️ %d flaky", n))
		}
		return strings.Join(parts, " · ")
	})
	perK := func(v float64, known bool) string { return USD(v*1000, known) }
	rows := [][4]string{
		{"pass rate", side(p.Base, PassRate), side(p.Head, PassRate), passChange},
	}
	if v, ok := verdictRow(p); ok && both {
		rows = append(rows, v)
	}
	rows = append(rows, [][4]string{
		{"errors", side(p.Base, errCount), side(p.Head, errCount), change(func() string { return signedInt(p.Head.Errored - p.Base.Errored) })},
		{"mean tokens in / out", side(p.Base, tokens), side(p.Head, tokens), change(func() string {
			return fmt.Sprintf("%+.0f / %+.0f", p.Head.MeanInputTokens-p.Base.MeanInputTokens, p.Head.MeanOutputTokens-p.Base.MeanOutputTokens)
		})},
		{"latency p50 / p95", side(p.Base, latency), side(p.Head, latency), change(func() string {
			return fmt.Sprintf("%+dms / %+dms", (p.Head.LatencyP50 - p.Base.LatencyP50).Milliseconds(), (p.Head.LatencyP95 - p.Base.LatencyP95).Milliseconds())
		})},
		{"cost / 1k requests", side(p.Base, func(*eval.SuiteResult) string { return perK(p.BaseCostPerReq, p.BaseCostKnown) }),
			side(p.Head, func(*eval.SuiteResult) string { return perK(p.HeadCostPerReq, p.HeadCostKnown) }),
			costChange(p, p.BaseCostPerReq*1000, p.HeadCostPerReq*1000)},
	}...)
	if (p.Base != nil && p.Base.Skipped > 0) || (p.Head != nil && p.Head.Skipped > 0) {
		skipped := func(s *eval.SuiteResult) string { return fmt.Sprint(s.Skipped) }
		rows = append(rows, [4]string{"skipped (see Skipped)", side(p.Base, skipped), side(p.Head, skipped), ""})
	}
	if (p.Base != nil && p.Base.UngradedAssertions > 0) || (p.Head != nil && p.Head.UngradedAssertions > 0) {
		// promptfoo assertion types promptgate does not grade (similar, …):
		// counted, so a pass rate is never read as covering them.
		ungraded := func(s *eval.SuiteResult) string { return fmt.Sprint(s.UngradedAssertions) }
		rows = append(rows, [4]string{"assertion checks not graded", side(p.Base, ungraded), side(p.Head, ungraded), ""})
	}
	monthly := "monthly"
	switch {
	case !p.HasTraffic:
		monthly += " (no `traffic` set)"
	case p.Flag != "":
		monthly += fmt.Sprintf(" at %s req/day × %s via flag `%s`", count(p.RequestsPerDay), Percent(p.Share), codeSpan(p.Flag))
	default:
		monthly += fmt.Sprintf(" at %s req/day", count(p.RequestsPerDay))
	}
	if p.HasTraffic {
		rows = append(rows, [4]string{monthly,
			side(p.Base, func(*eval.SuiteResult) string { return USD(p.BaseMonthly, p.BaseCostKnown) }),
			side(p.Head, func(*eval.SuiteResult) string { return USD(p.HeadMonthly, p.HeadCostKnown) }),
			costChange(p, p.BaseMonthly, p.HeadMonthly)})
	} else {
		rows = append(rows, [4]string{monthly, "—", "—", ""})
	}
	return rows
}

func costChange(p verdict.PromptDiff, base, head float64) string {
	switch {
	case p.Base == nil || p.Head == nil:
		return ""
	case !p.BaseCostKnown || !p.HeadCostKnown:
		return "unknown"
	case base > 0:
		return fmt.Sprintf("%s (%+.0f%%)", SignedUSD(head-base), (head-base)/base*100)
	default:
		return SignedUSD(head - base)
	}
}

// overviewTable is the compact fallback: one row per suite, at most rows of them.
func overviewTable(r verdict.Result, rows int, o DiffOptions) (string, error) {
	var b strings.Builder
	t := NewTable(&b, true)
	t.Header("suite", "pass rate", "verdict", "regressed / improved / flaky", "errors", "p95", "cost / 1k req", "monthly", "Δ monthly")
	for _, p := range r.Prompts[:rows] {
		arrow := func(f func(*eval.SuiteResult) string) string {
			b, h := "—", "—"
			if p.Base != nil {
				b = f(p.Base)
			}
			if p.Head != nil {
				h = f(p.Head)
			}
			return b + " → " + h
		}
		monthly := "no traffic"
		if p.HasTraffic {
			monthly = USD(p.HeadMonthly, p.HeadCostKnown && p.Head != nil)
		}
		if err := t.Append(mdsafe.Inline(p.Key),
			arrow(func(s *eval.SuiteResult) string { return rate(s) }),
			suiteVerdict(p),
			fmt.Sprintf("%d / %d / %d", len(p.NewlyFailing), len(p.NewlyPassing), len(p.Flaky)),
			arrow(errCount),
			arrow(func(s *eval.SuiteResult) string { return Millis(s.LatencyP95) }),
			USD(p.BaseCostPerReq*1000, p.BaseCostKnown)+" → "+USD(p.HeadCostPerReq*1000, p.HeadCostKnown),
			monthly, costChange(p, p.BaseMonthly, p.HeadMonthly)); err != nil {
			return "", fmt.Errorf("render overview table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return "", fmt.Errorf("render overview table: %w", err)
	}
	b.WriteString("\n")
	if n := len(r.Prompts) - rows; n > 0 {
		b.WriteString(omittedNote(n, "suites", o))
	}
	return b.String(), nil
}

// regressions lists every newly failing run, in prompt order.
func regressions(r verdict.Result) []verdict.CaseChange {
	var out []verdict.CaseChange
	for _, p := range r.Prompts {
		out = append(out, p.NewlyFailing...)
	}
	return out
}

// detailSections renders one collapsible section per regression, each model
// output capped at maxOutput bytes. Untrusted text goes into fenced code blocks,
// whose fence it cannot close, or through escaping.
func detailSections(regs []verdict.CaseChange, maxOutput int) []string {
	out := make([]string, 0, len(regs))
	for i, c := range regs {
		var b strings.Builder
		if i == 0 {
			b.WriteString("### Regressions\n\n")
		}
		where := c.SuitePath
		if c.Line > 0 {
			where = fmt.Sprintf("%s:%d", c.SuitePath, c.Line)
		}
		name := c.Description
		fmt.Fprintf(&b, "<details><summary>❌ %s · %s — %s · %s</summary>\n\n", summaryText(c.Suite), summaryText(name), summaryText(where), counts(c))
		if len(c.Vars) > 0 {
			vars, err := json.MarshalIndent(c.Vars, "", "  ")
			if err != nil {
				vars = []byte(fmt.Sprint(c.Vars))
			}
			fmt.Fprintf(&b, "**Input vars**\n\n%s\n\n", mdsafe.Block(mdsafe.Truncate(string(vars), maxOutput)))
		}
		fmt.Fprintf(&b, "**Expected** (assertion at head)\n\n%s\n\n", mdsafe.Block(mdsafe.Truncate(c.Reason, maxOutput)))
		fmt.Fprintf(&b, "**Base output** (%s)\n\n%s\n\n", c.BaseStatus, mdsafe.Block(mdsafe.Truncate(c.BaseOutput, maxOutput)))
		fmt.Fprintf(&b, "**Head output** (%s)\n\n%s\n\n", c.HeadStatus, mdsafe.Block(mdsafe.Truncate(c.HeadOutput, maxOutput)))
		b.WriteString(toolCallTable(c.BaseToolCalls, c.HeadToolCalls))
		b.WriteString("</details>\n\n")
		out = append(out, b.String())
	}
	return out
}

// summaryText escapes untrusted text for a <summary> element, where GitHub shows
// HTML entities but not markdown escapes.
func summaryText(s string) string {
	s = html.EscapeString(oneLine(mdsafe.Truncate(s, 200)))
	return strings.NewReplacer("@", "@\u200b", "#", "#\u200b").Replace(s)
}

// codeSpan makes s safe inside a single-backtick code span.
func codeSpan(s string) string {
	return strings.NewReplacer("`", "'", "\n", " ", "|", "\\|").Replace(s)
}

func errCount(s *eval.SuiteResult) string { return fmt.Sprint(s.Errored) }

func tokens(s *eval.SuiteResult) string {
	if s.Graded() == 0 {
		// Nothing graded (no key, no recorded response): show the input estimate
		// from the rendered prompts, marked as such; output tokens are unknown.
		if s.MeanEstimatedInputTokens > 0 {
			return fmt.Sprintf("~%.0f est. / —", s.MeanEstimatedInputTokens)
		}
		return "—"
	}
	return fmt.Sprintf("%.0f / %.0f", s.MeanInputTokens, s.MeanOutputTokens)
}

func latency(s *eval.SuiteResult) string {
	if s.Graded() == 0 {
		return "—"
	}
	return Millis(s.LatencyP50) + " / " + Millis(s.LatencyP95)
}

func rate(s *eval.SuiteResult) string {
	if s.Graded() == 0 {
		return "n/a"
	}
	return Percent(s.PassRate())
}

func points(v float64) string {
	if v > -0.05 && v < 0.05 {
		return "±0 pts"
	}
	return fmt.Sprintf("%+.1f pts", v)
}

func signedInt(n int) string {
	if n == 0 {
		return "±0"
	}
	return fmt.Sprintf("%+d", n)
}

// count formats a request volume: 20000 → "20,000", 0.5 → "0.5".
func count(v float64) string {
	if v != float64(int64(v)) {
		return fmt.Sprintf("%g", v)
	}
	s := fmt.Sprint(int64(v))
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
