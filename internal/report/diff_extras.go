package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/gitsha"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// maxTrendCharts bounds the prompts charted in one summary.
const maxTrendCharts = 5

// extraSections renders what the check adds after the per-prompt tables:
// cost per owner, the cheaper-model what-if and the default branch's trends.
// It is the first thing left out when the summary runs out of room.
func extraSections(r verdict.Result) (string, error) {
	var b strings.Builder
	if err := writeOwnerDiff(&b, r.Owners); err != nil {
		return "", err
	}
	if err := writeCandidates(&b, r.Candidates, true); err != nil {
		return "", err
	}
	writeTrends(&b, r.Trends)
	return b.String(), nil
}

// writeOwnerDiff renders the compared prompts' monthly cost per owner, base
// and head, with each owner's budget position.
func writeOwnerDiff(b *strings.Builder, owners []verdict.OwnerCost) error {
	if len(owners) == 0 {
		return nil
	}
	b.WriteString("\n### Cost by owner\n\n")
	t := NewTable(b, true)
	t.Header("owner", "prompts", "base / month", "head / month", "change", "budget", "used")
	for _, o := range owners {
		owner := "(no owner)"
		if o.Owner != "" {
			// Escaped, an owner pings nobody and shows markup as text.
			owner = mdsafe.Inline(o.Owner)
		}
		head := USD(o.HeadMonthly, true)
		if n := len(o.HeadUnknown); n > 0 {
			head += fmt.Sprintf(" (+%d unknown)", n)
		}
		budget, used := "—", "—"
		if o.Budget != nil && o.Position != nil {
			budget = fmt.Sprintf("%s/%s", USD(o.Budget.PeriodUSD, true), periodUnit(o.Budget.Period))
			used = Percent(o.Position.Fraction)
			switch n := len(o.Position.Crossed); {
			case o.Position.Over:
				used += " 🚨 over"
			case n > 0:
				used += " 🔔 past " + Percent(o.Position.Crossed[n-1])
			}
		}
		if err := t.Append(owner, mdsafe.Inline(strings.Join(o.Prompts, ", ")), USD(o.BaseMonthly, true), head,
			SignedUSD(o.HeadMonthly-o.BaseMonthly), budget, used); err != nil {
			return fmt.Errorf("render owners: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render owners: %w", err)
	}
	for _, o := range owners {
		if o.Position == nil || len(o.Position.Crossed) == 0 {
			continue
		}
		mark, what := "🔔", "alert "+Percent(o.Position.Crossed[len(o.Position.Crossed)-1])+" reached"
		if o.Position.Over {
			mark, what = "🚨", "over budget"
		}
		fmt.Fprintf(b, "\n%s %s: projected %s a month against %s/%s (%s a month): %s.\n", mark, mdsafe.Inline(o.Owner),
			USD(o.HeadMonthly, true), USD(o.Budget.PeriodUSD, true), periodUnit(o.Budget.Period), USD(o.Budget.MonthlyUSD, true), what)
	}
	return nil
}

// writeTrends charts each affected prompt's pass rate and cost per 1k
// requests over the default branch's recent check runs, the pull request's
// head last, as Mermaid xychart-beta blocks (GitHub renders them). Only
// numbers, commit hashes and the prompt's name (reduced to letters, digits
// and . _ / -) go inside the blocks.
func writeTrends(b *strings.Builder, trends []verdict.Trend) {
	if len(trends) == 0 {
		return
	}
	b.WriteString("\n### Trends on the default branch\n\n")
	fmt.Fprintf(b, "Each point is a check run on the default branch, oldest first; the last point (`PR`) is this change's head.\n")
	for i, t := range trends {
		if i == maxTrendCharts {
			fmt.Fprintf(b, "\n_%d more prompts with history not charted._\n", len(trends)-i)
			break
		}
		fmt.Fprintf(b, "\n#### `%s` · %s\n", codeSpan(t.Key), plural(len(t.Points)-1, "earlier run", "earlier runs"))
		var labels, rates, costs, costLabels []string
		for _, p := range t.Points {
			label := strconv.Quote(pointLabel(p))
			if p.Record.PassRate != nil {
				labels = append(labels, label)
				rates = append(rates, strconv.FormatFloat(*p.Record.PassRate*100, 'f', 1, 64))
			}
			if p.Record.CostPer1K != nil {
				costLabels = append(costLabels, label)
				costs = append(costs, strconv.FormatFloat(*p.Record.CostPer1K, 'f', 4, 64))
			}
		}
		if len(rates) > 0 {
			fmt.Fprintf(b, "\n```mermaid\nxychart-beta\n    title \"%s: pass rate (%%)\"\n    x-axis [%s]\n    y-axis \"pass rate (%%)\" 0 --> 100\n    line [%s]\n```\n",
				mermaidText(t.Key), strings.Join(labels, ", "), strings.Join(rates, ", "))
		}
		if len(costs) > 0 {
			fmt.Fprintf(b, "\n```mermaid\nxychart-beta\n    title \"%s: cost per 1k requests (USD)\"\n    x-axis [%s]\n    y-axis \"USD per 1k requests\"\n    line [%s]\n```\n",
				mermaidText(t.Key), strings.Join(costLabels, ", "), strings.Join(costs, ", "))
		}
		if len(rates) == 0 && len(costs) == 0 {
			b.WriteString("\nNo graded run to chart.\n")
		}
	}
}

// pointLabel is a point's x-axis label: the commit's short SHA, or PR for the
// pull request's head. A SHA that is not hex, or shorter, is not shown.
func pointLabel(p verdict.TrendPoint) string {
	if p.Head {
		return "PR"
	}
	sha := strings.ToLower(p.SHA)
	if len(sha) < gitsha.ShortLen || strings.Trim(sha, "0123456789abcdef") != "" {
		return "?"
	}
	return gitsha.Short(sha)
}

// mermaidText keeps a name safe inside a quoted Mermaid string: letters,
// digits, '.', '_', '/' and '-' stay, anything else becomes '_'.
func mermaidText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '/', r == '-':
			return r
		}
		return '_'
	}, s)
}
