package report

import (
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// maxConfigChangeLines bounds the rule changes listed; the rest are counted.
const maxConfigChangeLines = 25

// maxConfigValue bounds each value shown; a value is the change's own text.
const maxConfigValue = 120

// ConfigChanges renders the rules a change edits, which took no part in
// deciding the check: promptgate.yaml's rule sections and suite thresholds are
// read at base, so head's edits take effect after merge. Keys and values are
// the change's own text, so each goes in a code span (mdsafe.Code), where
// nothing renders as a link, a mention or HTML. It returns "" when nothing
// changed.
func ConfigChanges(r verdict.Result) string {
	if len(r.ConfigChanges) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("**Config changes** — take effect after merge; this check used the base commit's rules:\n")
	for i, c := range r.ConfigChanges {
		if i == maxConfigChangeLines {
			fmt.Fprintf(&b, "- … and %d more\n", len(r.ConfigChanges)-i)
			break
		}
		where := ""
		if c.File != "" {
			where = " (" + mdsafe.Inline(c.File)
			if c.Line > 0 {
				where += fmt.Sprintf(":%d", c.Line)
			}
			where += ")"
		}
		fmt.Fprintf(&b, "- %s%s: %s → %s%s\n", mdsafe.Code(c.Key), where, configValue(c.Base), configValue(c.Head), effect(c.Effect))
	}
	if am := r.AfterMerge; am != nil {
		fmt.Fprintf(&b, "- after merge, with head's pricing, traffic and budget, the compared prompts project to %s/month", USD(am.HeadMonthly, true))
		if am.Budget.MonthlyUSD > 0 {
			fmt.Fprintf(&b, " (%s of a %s budget)", Percent(am.Budget.Fraction), USD(am.Budget.MonthlyUSD, true))
		}
		if n := len(am.HeadUnknownCost); n > 0 {
			fmt.Fprintf(&b, " · %s with unknown cost not included", plural(n, "prompt", "prompts"))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	return b.String()
}

func configValue(v string) string {
	if v == "" {
		return "not set"
	}
	return mdsafe.Code(mdsafe.Truncate(v, maxConfigValue))
}

func effect(e string) string {
	if e == "" {
		return ""
	}
	return "; " + mdsafe.Inline(e)
}
