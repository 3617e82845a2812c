package rollout

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// AlertRollback is a rollback that a firing alert asks for.
type AlertRollback struct {
	Owner, Repo, Flag string
	// AlertName and Summary are untrusted text from the alert; they are escaped
	// before they reach a commit message or a comment.
	AlertName, Summary string
}

// lastRolloutHistory is how many commits to the flags file are searched for
// the PR that last rolled the flag out.
const lastRolloutHistory = 50

// RollbackForAlert sets the flag to 0% with the same minimal commit as
// /rollback, then says so on the pull request that last rolled it out. It is
// idempotent: a flag already at 0% (a repeated notification, or another replica
// that got there first) commits and comments nothing. Permission and check
// rules do not apply: the alert's sender authenticated with the App's token, and
// backing out must never be blocked.
func (s *Service) RollbackForAlert(ctx context.Context, gh *github.Client, a AlertRollback, log *slog.Logger) error {
	repo, _, err := gh.Repositories.Get(ctx, a.Owner, a.Repo)
	if err != nil {
		return fmt.Errorf("get repository %s/%s: %w", a.Owner, a.Repo, err)
	}
	req := Request{Owner: a.Owner, Repo: a.Repo, DefaultBranch: repo.GetDefaultBranch(),
		Reason: "Alertmanager alert " + mdsafe.Truncate(mdsafe.Inline(a.AlertName), 200) + " is firing."}
	cfg, err := loadConfig(ctx, gh, req)
	if err != nil {
		return err
	}
	// Find the PR before committing, so this rollback is not mistaken for it.
	pr, err := lastRolloutPR(ctx, gh, req, branchOf(req, cfg), cfg.Rollout.FlagsFile, a.Flag)
	if err != nil {
		log.Warn("find the PR that rolled the flag out", "error", err)
	}
	res, err := s.apply(ctx, gh, req, cfg, chatops.Command{Kind: chatops.Rollback, Flag: a.Flag}, 0)
	if err != nil {
		return err
	}
	switch {
	case res.refusal != nil:
		log.Warn("alert rollback refused", "rule", res.refusal.Rule, "reason", res.refusal.Reason)
		return nil
	case res.noop:
		log.Info("flag already at 0%; nothing to commit")
		return nil
	}
	log.Info("rolled back for alert", "from_pct", res.before.RolloutPct, "commit", res.commitSHA, "pr", pr)
	if pr == 0 {
		log.Info("no promptgate rollout commit names a PR; no comment")
		return nil
	}
	body := alertText(a, res)
	if _, _, err := gh.Issues.CreateComment(ctx, a.Owner, a.Repo, pr, &github.IssueComment{Body: &body}); err != nil {
		// The rollback is committed; a retry would find 0% and not comment, so
		// report the failure without asking for one.
		log.Error("comment on the PR", "pr", pr, "error", err)
	}
	return nil
}

func alertText(a AlertRollback, res applied) string {
	var b strings.Builder
	fmt.Fprintf(&b, "🚨 Alertmanager alert **%s** is firing", noAutolink(mdsafe.Inline(mdsafe.Truncate(a.AlertName, 200))))
	if a.Summary != "" {
		fmt.Fprintf(&b, ": %s", noAutolink(mdsafe.Inline(mdsafe.Truncate(strings.Join(strings.Fields(a.Summary), " "), 500))))
	}
	b.WriteString("\n\n")
	b.WriteString(appliedText(chatops.Command{Flag: a.Flag}, res, nil))
	return b.String()
}

// autolinks are the spellings GitHub turns into links without any markdown.
var autolinks = strings.NewReplacer("://", ":\u200b//", "www.", "www\u200b.", "WWW.", "WWW\u200b.")

// noAutolink keeps a URL in alert text from becoming a live link in a reply.
func noAutolink(s string) string { return autolinks.Replace(s) }

// rolloutPR matches the PR number in a promptgate rollout commit's body.
var rolloutPR = regexp.MustCompile(`(?m)^Requested by @\S+ in #(\d+)\.$`)

// lastRolloutPR finds the PR of the flag's automatic rollout (metadata
// promptgatePR), else the PR named by the newest promptgate commit that rolled
// flag out (raised its share), or 0.
func lastRolloutPR(ctx context.Context, gh *github.Client, req Request, branch, path, flag string) (int, error) {
	if doc, _, err := readFile(ctx, gh, req, branch, path); err == nil {
		if md, err := flagd.ReadMeta(doc, flagd.FormatForPath(path), flag); err == nil {
			if st := readAutoState(md); st.active() && st.PR > 0 {
				return st.PR, nil
			}
		}
	}
	commits, _, err := gh.Repositories.ListCommits(ctx, req.Owner, req.Repo, &github.CommitsListOptions{
		SHA: branch, Path: path, ListOptions: github.ListOptions{PerPage: lastRolloutHistory}})
	if err != nil {
		return 0, fmt.Errorf("list commits to %s: %w", path, err)
	}
	prefix := "promptgate: roll out " + flag + " "
	for _, c := range commits {
		msg := c.GetCommit().GetMessage()
		if !strings.HasPrefix(msg, prefix) {
			continue
		}
		if m := rolloutPR.FindStringSubmatch(msg); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
				return n, nil
			}
		}
	}
	return 0, nil
}
