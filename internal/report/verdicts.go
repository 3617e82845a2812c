package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// maxFlakyRows bounds the flaky cases listed per suite; the rest are counted.
const maxFlakyRows = 20

// verdictRow is a suite table's row with the change's interval and verdict:
// "-5.0 pts (95% CI -9.1 to -0.9) · worse (p = 0.003)".
func verdictRow(p verdict.PromptDiff) ([4]string, bool) {
	s := p.Stats
	if s == nil {
		return [4]string{}, false
	}
	if s.PWorse == 1 && s.PBetter == 1 && s.Diff == 0 {
		return [4]string{"verdict", "", "", "no case changed"}, true
	}
	mark := map[string]string{verdict.VerdictWorse: "❌ ", verdict.VerdictBetter: "✅ "}[s.Verdict]
	pv := s.PWorse
	if s.Verdict == verdict.VerdictBetter {
		pv = s.PBetter
	}
	return [4]string{"verdict (95% CI of the change)", "", "",
		fmt.Sprintf("%s (%+.1f to %+.1f) · %s%s (p = %s)", points(s.Diff*100), s.Lo*100, s.Hi*100, mark, s.Verdict, pValue(pv))}, true
}

// pValue writes a p-value with two significant digits, or "< 0.0001".
func pValue(p float64) string {
	if p < 0.0001 {
		return "< 0.0001"
	}
	return strconv.FormatFloat(p, 'g', 2, 64)
}

// counts writes a flip's samples: "base 3/4 · head 2/4".
func counts(c verdict.CaseChange) string {
	s := c.UpFront.Total(c.Confirm)
	return fmt.Sprintf("base %d/%d · head %d/%d", s.BasePassed, s.Base, s.HeadPassed, s.Head)
}

// flakySection lists a suite's flaky and unconfirmed flips, collapsed: they
// never fail the check alone.
func flakySection(p verdict.PromptDiff) (string, error) {
	if len(p.Flaky) == 0 {
		return "", nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<details><summary>〰️ %s (never fail the check alone)</summary>\n\n", plural(len(p.Flaky), "flaky case", "flaky cases"))
	t := NewTable(&b, true)
	t.Header("case", "where", "samples (passed)", "verdict")
	for i, c := range p.Flaky {
		if i == maxFlakyRows {
			break
		}
		where := c.SuitePath
		if c.Line > 0 {
			where = fmt.Sprintf("%s:%d", c.SuitePath, c.Line)
		}
		dir := "better at head"
		if c.Worse {
			dir = "worse at head"
		}
		what := fmt.Sprintf("%s: first samples %s, not confirmed (p = %s)", c.Class, dir, pValue(c.PValue))
		if c.Class == verdict.ClassUnconfirmed {
			what = fmt.Sprintf("unconfirmed: first samples %s, no confirmation sample drawn", dir)
		}
		if err := t.Append(mdsafe.Inline(oneLine(c.Description)), mdsafe.Inline(where), counts(c), what); err != nil {
			return "", fmt.Errorf("render flaky cases: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return "", fmt.Errorf("render flaky cases: %w", err)
	}
	if n := len(p.Flaky) - maxFlakyRows; n > 0 {
		fmt.Fprintf(&b, "\n_and %d more flaky cases (see the full report)._\n", n)
	}
	b.WriteString("\n</details>\n\n")
	return b.String(), nil
}

// writeConfirmation says what confirming the flipped cases cost.
func writeConfirmation(b *strings.Builder, r verdict.Result) {
	c := r.Confirmation
	if c == nil {
		return
	}
	fmt.Fprintf(b, "**Confirmation:** %s between base and head", plural(c.Flipped, "case flipped", "cases flipped"))
	if c.NotDrawn != "" {
		fmt.Fprintf(b, "; not confirmed: %s.\n\n", mdsafe.Inline(oneLine(c.NotDrawn)))
		return
	}
	fmt.Fprintf(b, "; each sampled %d more times at both sides: %s extra, %s from the network (budget %d, `gate.max_resample`).\n\n",
		c.PerCase, plural(c.Runs, "case run", "case runs"), plural(c.Calls, "model call", "model calls"), c.Budget)
}

// worseSuites counts the suites whose verdict is worse.
func worseSuites(r verdict.Result) int {
	n := 0
	for _, p := range r.Prompts {
		if p.Stats != nil && p.Stats.Verdict == verdict.VerdictWorse {
			n++
		}
	}
	return n
}

// suiteVerdict is the overview table's verdict cell.
func suiteVerdict(p verdict.PromptDiff) string {
	if p.Stats == nil {
		return "—"
	}
	return fmt.Sprintf("%s (%+.1f to %+.1f pts)", p.Stats.Verdict, p.Stats.Lo*100, p.Stats.Hi*100)
}
