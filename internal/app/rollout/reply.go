package rollout

import (
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Every piece of text in a reply that a commenter wrote, or that comes from a
// file, a commit or an error, goes through mdsafe: code spans for names and
// commands, mdsafe.Inline for prose. Reasons in a Refusal are built the same way.

// text renders a refusal so the commenter sees the rule by name.
func (r Refusal) text(c chatops.Command) string {
	return fmt.Sprintf("😕 %s refused by rule **%s**: %s", mdsafe.Code(c.Raw), r.Rule, r.Reason)
}

// textAll renders a refusal of every command in a comment.
func (r Refusal) textAll() string {
	return fmt.Sprintf("😕 This comment's commands were refused by rule **%s**: %s", r.Rule, r.Reason)
}

func appliedText(c chatops.Command, res applied, cost *costNote) string {
	var b strings.Builder
	flag, path, branch := mdsafe.Code(c.Flag), mdsafe.Code(res.path), mdsafe.Code(res.branch)
	if res.noop {
		fmt.Fprintf(&b, "👌 %s is already at **%d%%** in %s on %s; nothing to commit.", flag, res.after.RolloutPct, path, branch)
		return b.String()
	}
	if res.after.RolloutPct == 0 {
		fmt.Fprintf(&b, "↩️ Rolled back %s: **%d%% → 0%%**. Every key gets stable %s again.\n",
			flag, res.before.RolloutPct, mdsafe.Code(res.after.Stable))
	} else {
		fmt.Fprintf(&b, "🚀 Rolled out %s: **%d%% → %d%%** of keys get %s; stable %s keeps %d%%.\n",
			flag, res.before.RolloutPct, res.after.RolloutPct, mdsafe.Code(res.after.Rollout), mdsafe.Code(res.after.Stable), 100-res.after.RolloutPct)
	}
	fmt.Fprintf(&b, "\nCommit [%s](%s) to %s on %s.", mdsafe.Code(short(res.commitSHA)), res.commitURL, path, branch)
	if res.endedAuto {
		fmt.Fprintf(&b, " This ends the automatic rollout of %s.", flag)
	}
	if cost != nil {
		if fc, ok := cost.projection.Flags[c.Flag]; ok {
			fmt.Fprintf(&b, "\n\nProjected monthly cost at %d%%: **%s** (all stable %s, all rollout %s), from the promptgate check on %s.",
				res.after.RolloutPct, usd(fc.AtShare(res.after.RolloutPct)), usd(fc.StableMonthlyUSD), usd(fc.RolloutMonthlyUSD), mdsafe.Inline(short(cost.headSHA)))
		}
	}
	return b.String()
}

func failureText(c chatops.Command, err error) string {
	return fmt.Sprintf("⚠️ %s failed: %s\n\nThe flags file may or may not have changed; check it before you retry.",
		mdsafe.Code(c.Raw), mdsafe.Inline(err.Error()))
}

func problemText(p chatops.Problem) string {
	// p.Msg quotes the comment only through mdsafe (see chatops.Problem).
	return fmt.Sprintf("😕 I could not read %s (line %d): %s", mdsafe.Code(p.Raw), p.Line, p.Msg)
}

func ignoredText(n int) string {
	return fmt.Sprintf("ℹ️ %d more command line(s) in this comment were ignored: I run at most %d commands per comment, and a repeated command once. Comment again to run the rest.", n, chatops.MaxCommands)
}

// maxReply is below GitHub's 65,536-character limit on a comment body, with
// room for the note that marks a cut.
const maxReply = 60000

// fitReply joins the parts of a reply and keeps it under GitHub's limit on a
// comment body: a part that does not fit is left out whole (cutting escaped
// markdown could make it live), with a note saying how many were.
func fitReply(texts []string) string {
	const sep = "\n\n---\n\n"
	var b strings.Builder
	left := 0
	for _, t := range texts {
		if b.Len()+len(sep)+len(t) > maxReply {
			left++
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(t)
	}
	if left > 0 {
		fmt.Fprintf(&b, "%s_%d part(s) of this reply left out to stay under GitHub's limit on a comment._", sep, left)
	}
	return b.String()
}

func configErrorText(err error) string {
	return fmt.Sprintf("⚠️ I could not load the rollout rules: %s\n\nFix `promptgate.yaml` on the default branch, then try again.", mdsafe.Inline(err.Error()))
}

func usd(v float64) string {
	return fmt.Sprintf("$%.2f", v)
}
