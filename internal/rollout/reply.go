package rollout

import (
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/chatops"
)

// text renders a refusal so the commenter sees the rule by name.
func (r Refusal) text(c chatops.Command) string {
	return fmt.Sprintf("😕 `%s` refused by rule **%s**: %s", escapeInline(c.Raw), r.Rule, r.Reason)
}

func appliedText(c chatops.Command, res applied, cost *costNote) string {
	var b strings.Builder
	if res.noop {
		fmt.Fprintf(&b, "👌 `%s` is already at **%d%%** in `%s` on `%s`; nothing to commit.", c.Flag, res.after.RolloutPct, res.path, res.branch)
		return b.String()
	}
	if res.after.RolloutPct == 0 {
		fmt.Fprintf(&b, "↩️ Rolled back `%s`: **%d%% → 0%%**. Every key gets stable `%s` again.\n",
			c.Flag, res.before.RolloutPct, res.after.Stable)
	} else {
		fmt.Fprintf(&b, "🚀 Rolled out `%s`: **%d%% → %d%%** of keys get `%s`; stable `%s` keeps %d%%.\n",
			c.Flag, res.before.RolloutPct, res.after.RolloutPct, res.after.Rollout, res.after.Stable, 100-res.after.RolloutPct)
	}
	fmt.Fprintf(&b, "\nCommit [`%s`](%s) to `%s` on `%s`.", short(res.commitSHA), res.commitURL, res.path, res.branch)
	if res.endedAuto {
		fmt.Fprintf(&b, " This ends the automatic rollout of `%s`.", c.Flag)
	}
	if cost != nil {
		if fc, ok := cost.projection.Flags[c.Flag]; ok {
			fmt.Fprintf(&b, "\n\nProjected monthly cost at %d%%: **%s** (all stable %s, all rollout %s), from the promptgate check on %s.",
				res.after.RolloutPct, usd(fc.AtShare(res.after.RolloutPct)), usd(fc.StableMonthlyUSD), usd(fc.RolloutMonthlyUSD), short(cost.headSHA))
		}
	}
	return b.String()
}

func failureText(c chatops.Command, err error) string {
	return fmt.Sprintf("⚠️ `%s` failed: %s\n\nThe flags file may or may not have changed; check it before you retry.",
		escapeInline(c.Raw), escapeInline(err.Error()))
}

func problemText(p chatops.Problem) string {
	return fmt.Sprintf("😕 I could not read `%s` (line %d): %s", escapeInline(p.Raw), p.Line, p.Msg)
}

func configErrorText(err error) string {
	return fmt.Sprintf("⚠️ I could not load the rollout rules: %s\n\nFix `promptgate.yaml` on the default branch, then try again.", escapeInline(err.Error()))
}

func usd(v float64) string {
	return fmt.Sprintf("$%.2f", v)
}

// escapeInline keeps user text inside an inline code span and stops @-mentions.
func escapeInline(s string) string {
	s = strings.ReplaceAll(s, "`", "'")
	s = strings.ReplaceAll(s, "@", "@\u200b")
	return strings.ReplaceAll(s, "\n", " ")
}
