package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// writeCandidates renders the cheaper-model what-if: a row per prompt and
// candidate, the lost and won cases, and a one-line recommendation for each
// candidate that loses no passing case and costs less. Model names come from
// the config, case descriptions from suites: both are escaped in markdown.
func writeCandidates(w io.Writer, cands []eval.Candidate, markdown bool) error {
	if len(cands) == 0 {
		return nil
	}
	cell := func(s string) string { return s }
	if markdown {
		cell = mdsafe.Inline
		fmt.Fprint(w, "\n### Cheaper models\n\n")
	} else {
		fmt.Fprint(w, "\nCheaper models\n")
	}
	fmt.Fprintln(w, "What-if: the same prompt and suites on another model. It never changes the outcome.")
	if markdown {
		fmt.Fprintln(w)
	}
	t := NewTable(w, markdown)
	t.Header("prompt", "model", "pass rate", "head pass rate", "Δ (95% CI)", "lost", "won", "not graded", "cost / 1k req", "monthly", "saving / month")
	for _, c := range cands {
		name := promptName(c.Prompt, c.Variant)
		if err := t.Append(cell(name), cell(c.Model)+" (head: "+cell(c.HeadModel)+")",
			candidateRate(c.Passed, c.Graded, c.PassRate), Percent(c.HeadPassRate), candidateDiff(c),
			fmt.Sprint(len(c.Lost)), fmt.Sprint(len(c.Won)), fmt.Sprint(c.Errored+c.Skipped),
			optUSD(c.CostPer1K)+" (head "+optUSD(c.HeadCostPer1K)+")", optUSD(c.MonthlyUSD), optUSD(c.SavingUSD)); err != nil {
			return fmt.Errorf("render candidates: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render candidates: %w", err)
	}
	for _, c := range cands {
		name := promptName(c.Prompt, c.Variant)
		if c.Recommended {
			saving := ""
			if c.SavingUSD != nil {
				saving = fmt.Sprintf(", saving %s a month", USD(*c.SavingUSD, true))
			}
			fmt.Fprintf(w, "\nRecommended: %s on %s loses at most %g points of pass rate at the 95%% level (%+.1f, at worst %+.1f) and costs %s instead of %s per 1k requests%s.\n",
				inline(name, markdown), inline(c.Model, markdown), c.Margin, c.Diff*100, c.DiffLo*100, optUSD(c.CostPer1K), optUSD(c.HeadCostPer1K), saving)
		}
		if len(c.Lost)+len(c.Won) == 0 {
			continue
		}
		var lines []string
		for _, r := range c.Lost {
			lines = append(lines, fmt.Sprintf("lost %s:%d %q", r.Suite, r.Line, r.Description))
		}
		for _, r := range c.Won {
			lines = append(lines, fmt.Sprintf("won  %s:%d %q", r.Suite, r.Line, r.Description))
		}
		if markdown {
			fmt.Fprintf(w, "\n<details><summary>%s on %s: %d lost, %d won</summary>\n\n%s\n</details>\n",
				mdsafe.Inline(name), mdsafe.Inline(c.Model), len(c.Lost), len(c.Won), mdsafe.Block(strings.Join(lines, "\n")))
		} else {
			fmt.Fprintf(w, "\n%s on %s:\n  %s\n", name, c.Model, strings.Join(lines, "\n  "))
		}
	}
	return nil
}

func promptName(prompt, variant string) string {
	if variant != "" {
		return prompt + "." + variant
	}
	return prompt
}

func candidateRate(passed, graded int, r float64) string {
	if graded == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%d/%d (%s)", passed, graded, Percent(r))
}

func optUSD(v *float64) string {
	if v == nil {
		return "unknown"
	}
	return USD(*v, true)
}

func inline(s string, markdown bool) string {
	if markdown {
		return "`" + strings.ReplaceAll(s, "`", "'") + "`"
	}
	return s
}

// writeOwners renders projected cost per owner and each owner's budget
// position. Owner names come from CODEOWNERS and front matter: escaped, and
// in code spans so a team is never pinged.
func writeOwners(w io.Writer, owners []eval.OwnerCost, markdown bool) error {
	if len(owners) == 0 {
		return nil
	}
	if markdown {
		fmt.Fprint(w, "\n### Cost by owner\n\n")
	} else {
		fmt.Fprint(w, "\nCost by owner\n")
	}
	t := NewTable(w, markdown)
	t.Header("owner", "prompts", "projected / month", "budget", "used")
	for _, o := range owners {
		owner := "(no owner)"
		if o.Owner != "" {
			// Escaped, an owner pings nobody and shows markup as text.
			owner = o.Owner
			if markdown {
				owner = mdsafe.Inline(owner)
			}
		}
		prompts := strings.Join(o.Prompts, ", ")
		if markdown {
			prompts = mdsafe.Inline(prompts)
		}
		monthly := USD(o.MonthlyUSD, true)
		if len(o.Unprojected) > 0 {
			monthly += fmt.Sprintf(" (+%d without traffic or price)", len(o.Unprojected))
		}
		budget, used := "—", "—"
		if o.Budget != nil && o.Position != nil {
			budget = fmt.Sprintf("%s/%s", USD(o.Budget.PeriodUSD, true), periodUnit(o.Budget.Period))
			used = Percent(o.Position.Fraction)
			if n := len(o.Position.Crossed); n > 0 {
				used += " ⚠ past " + Percent(o.Position.Crossed[n-1])
			}
		}
		if err := t.Append(owner, prompts, monthly, budget, used); err != nil {
			return fmt.Errorf("render owners: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render owners: %w", err)
	}
	for _, o := range owners {
		if o.Position != nil && o.Position.Over {
			fmt.Fprintf(w, "\nBudget: %s is projected at %s a month, over its budget of %s/%s (%s a month).\n",
				inline(o.Owner, markdown), USD(o.MonthlyUSD, true), USD(o.Budget.PeriodUSD, true), periodUnit(o.Budget.Period), USD(o.Budget.MonthlyUSD, true))
		}
	}
	return nil
}

func periodUnit(period string) string {
	switch period {
	case "daily":
		return "day"
	case "weekly":
		return "week"
	}
	return "month"
}

// candidateDiff is the candidate's pass-rate change with its 95% interval,
// in points: "-0.5 (-1.5 to +0.5)".
func candidateDiff(c eval.Candidate) string {
	if c.Graded == 0 {
		return "—"
	}
	return fmt.Sprintf("%+.1f (%+.1f to %+.1f)", c.Diff*100, c.DiffLo*100, c.DiffHi*100)
}
