package analysis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Markdown renders the analysis as a GitHub table: metric, stable, canary
// (the rollout variant), bound, verdict. Names and notes are escaped: metric
// names come from the config, but notes can quote Prometheus's answers.
func (r Result) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Analysis of **%s**, stable **%s** against canary **%s**: %s.\n\n",
		mdsafe.Inline(r.Flag), mdsafe.Inline(r.Stable), mdsafe.Inline(r.Rollout), r.summary())
	b.WriteString("| metric | stable | canary | bound | verdict |\n|---|---:|---:|---|---|\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdsafe.Inline(row.Metric.Name),
			cell(row.Stable), cell(row.Rollout), bound(row), verdict(row))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (r Result) summary() string {
	parts := []string{}
	for _, v := range []Verdict{Pass, Fail, Inconclusive} {
		if n := r.Count(v); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, map[Verdict]string{Pass: "passed", Fail: "failed", Inconclusive: "inconclusive"}[v]))
		}
	}
	if len(parts) == 0 {
		return "no metrics"
	}
	return strings.Join(parts, ", ")
}

func cell(v Value) string {
	if !v.OK {
		return "—"
	}
	return number(v.V)
}

func number(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func bound(r Row) string {
	m := r.Metric
	switch {
	case m.MaxIncreasePct != nil:
		s := "≤ stable +" + number(*m.MaxIncreasePct) + "%"
		if r.Stable.OK {
			s += " (" + number(r.Limit) + ")"
		}
		return s
	case m.Max != nil:
		return "≤ " + number(*m.Max)
	case m.Min != nil:
		return "≥ " + number(*m.Min)
	}
	return ""
}

func verdict(r Row) string {
	switch r.Verdict {
	case Pass:
		return "✅ pass"
	case Fail:
		return "❌ fail"
	}
	return "❔ inconclusive: " + mdsafe.Inline(mdsafe.Truncate(r.Note, 200))
}
