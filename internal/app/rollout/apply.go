package rollout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/ratelimit"
)

// applied is the result of apply: a refusal, a no-op, or a commit.
type applied struct {
	refusal       *Refusal
	before, after flagd.Split
	branch, path  string
	noop          bool
	commitSHA     string
	commitURL     string
	attempts      int
	// endedAuto is set when the commit ended an automatic rollout.
	endedAuto bool
}

// loadConfig reads promptgate.yaml from the default branch. A PR cannot loosen
// its own rules because the PR head is never read.
func loadConfig(ctx context.Context, gh *github.Client, req Request) (*config.Config, error) {
	data, _, err := readFile(ctx, gh, req, req.DefaultBranch, config.FileName)
	if errors.Is(err, errNotFound) {
		return config.Default(), nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := config.Parse(data, config.FileName)
	if err != nil {
		return nil, fmt.Errorf("parse %s on %s: %w", config.FileName, req.DefaultBranch, err)
	}
	return cfg, nil
}

// branchOf is the branch rollouts commit to.
func branchOf(req Request, cfg *config.Config) string {
	if cfg.Rollout.Branch != "" {
		return cfg.Rollout.Branch
	}
	return req.DefaultBranch
}

// readFile returns a file's content and blob sha at ref, or errNotFound. Within
// one comment a file is read once (see readMemo).
func readFile(ctx context.Context, gh *github.Client, req Request, ref, path string) ([]byte, string, error) {
	if f, ok := req.reads.file(ref, path); ok {
		return f.content, f.sha, nil
	}
	fc, _, resp, err := gh.Repositories.GetContents(ctx, req.Owner, req.Repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, "", fmt.Errorf("read %s on %s: %w", path, ref, errNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("read %s on %s: %w", path, ref, err)
	}
	if fc == nil {
		return nil, "", fmt.Errorf("read %s on %s: it is a directory", path, ref)
	}
	content, err := fc.GetContent()
	if err != nil {
		return nil, "", fmt.Errorf("decode %s on %s: %w", path, ref, err)
	}
	req.reads.keep(ref, path, []byte(content), fc.GetSHA())
	return []byte(content), fc.GetSHA(), nil
}

// apply sets c's flag to pct in the flags file on the configured branch,
// ending any automatic rollout of it. When a comment asked for it (c.Raw is
// set), the comment is read again right before each commit attempt.
func (s *Service) apply(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, c chatops.Command, pct int) (applied, error) {
	flag := c.Flag
	path := cfg.Rollout.FlagsFile
	format := flagd.FormatForPath(path)
	return s.commitLoop(ctx, gh, req, cfg, func(doc []byte, res *applied) ([]byte, string, bool, error) {
		end := endAuto(doc, format, flag)
		res.endedAuto = end != nil
		out, before, after, err := flagd.Edit(doc, format, flag, pct, end)
		if errors.Is(err, flagd.ErrFlagNotFound) {
			res.refusal = &Refusal{RuleFlagExists, missingFlagReason(doc, format, flag, path, res.branch)}
			return nil, "", true, nil
		}
		if err != nil {
			return nil, "", true, fmt.Errorf("set %s to %d%% in %s: %w", flag, pct, path, flagd.InFile(err, path))
		}
		res.before, res.after = before, after
		if bytes.Equal(out, doc) {
			res.noop = true
			return nil, "", true, nil
		}
		if c.Raw != "" && req.CommentID != 0 {
			if res.refusal, err = stillAsked(ctx, gh, req, c); res.refusal != nil || err != nil {
				return nil, "", true, err
			}
		}
		return out, commitMessage(req, flag, before.RolloutPct, after.RolloutPct), false, nil
	})
}

// editFunc makes one attempt's edit of the flags file: the new content and
// its commit message, or done to stop without committing (after setting a
// refusal or a no-op on res, or with an error).
type editFunc func(doc []byte, res *applied) (out []byte, msg string, done bool, err error)

// commitLoop commits edit's change to the flags file on the configured branch.
// It holds the file's in-process lock and, when GitHub reports a stale sha
// (409 or 422), re-reads the file and calls edit again, up to MaxAttempts times.
func (s *Service) commitLoop(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, edit editFunc) (applied, error) {
	branch, path := branchOf(req, cfg), cfg.Rollout.FlagsFile
	lock := s.fileLock(req.Owner + "/" + req.Repo + "@" + branch + ":" + path)
	lock.Lock()
	defer lock.Unlock()

	res := applied{branch: branch, path: path}
	for attempt := 1; ; attempt++ {
		res.attempts = attempt
		doc, sha, err := readFile(ctx, gh, req, branch, path)
		if errors.Is(err, errNotFound) {
			res.refusal = noFlagsFile(path, branch)
			return res, nil
		}
		if err != nil {
			return res, err
		}
		out, msg, done, err := edit(doc, &res)
		if done || err != nil {
			return res, err
		}
		cr, resp, err := gh.Repositories.UpdateFile(ctx, req.Owner, req.Repo, path, &github.RepositoryContentFileOptions{
			Message: &msg, Content: out, SHA: &sha, Branch: &branch})
		if err == nil {
			res.commitSHA, res.commitURL = cr.Commit.GetSHA(), cr.Commit.GetHTMLURL()
			if blob := cr.GetContent().GetSHA(); blob != "" {
				req.reads.keep(branch, path, out, blob)
			} else {
				req.reads.forget(branch, path)
			}
			return res, nil
		}
		// Whatever went wrong, the next read must see GitHub's file.
		req.reads.forget(branch, path)
		if protected(resp, err) {
			res.refusal = &Refusal{RuleProtected, fmt.Sprintf("GitHub refused the commit to %s: the branch is protected (%s). Let the App bypass the rule, or set rollout.branch to a branch it may push to.",
				mdsafe.Code(branch), mdsafe.Inline(errorMessage(err)))}
			return res, nil
		}
		stale := resp != nil && (resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusUnprocessableEntity)
		if !stale || attempt >= s.maxAttempts() {
			return res, fmt.Errorf("commit %s on %s (attempt %d): %w", path, branch, attempt, err)
		}
		if err := ratelimit.Sleep(ctx, s.backoff(attempt)); err != nil {
			return res, fmt.Errorf("wait to retry commit of %s: %w", path, err)
		}
	}
}

// endAuto is the metadata edit that ends a running or paused automatic
// rollout: a manual /rollout, /rollback or an alert's rollback takes over.
func endAuto(doc []byte, f flagd.Format, flag string) []flagd.Meta {
	md, err := flagd.ReadMeta(doc, f, flag)
	if err != nil || !readAutoState(md).active() {
		return nil
	}
	return []flagd.Meta{{Key: metaMode, Value: string(ModeOff)}, {Key: metaNext, Value: ""}}
}

func missingFlagReason(doc []byte, f flagd.Format, flag, path, branch string) string {
	reason := fmt.Sprintf("there is no flag %s in %s on %s.", mdsafe.Code(flag), mdsafe.Code(path), mdsafe.Code(branch))
	if names, err := flagd.Flags(doc, f); err == nil && len(names) > 0 {
		const show = 10
		list := names[:min(show, len(names))]
		reason += " Flags there: " + codeList(list)
		if len(names) > show {
			reason += fmt.Sprintf(" and %d more", len(names)-show)
		}
		reason += "."
	}
	return reason
}

// noFlagsFile refuses a command on a repository without rollout.flags_file.
func noFlagsFile(path, branch string) *Refusal {
	return &Refusal{RuleFlagExists, fmt.Sprintf("there is no flags file %s on %s (rollout.flags_file).", mdsafe.Code(path), mdsafe.Code(branch))}
}

// codeList writes each name as a code span, so no name can mention or link.
func codeList(names []string) string {
	spans := make([]string, len(names))
	for i, n := range names {
		spans[i] = mdsafe.Code(n)
	}
	return strings.Join(spans, ", ")
}

// commitMessage names the flag, the old and new share, the PR and the commenter.
func commitMessage(req Request, flag string, from, to int) string {
	verb := "roll out"
	if to < from {
		verb = "roll back"
	}
	by := fmt.Sprintf("Requested by @%s in #%d.", req.Commenter, req.PR)
	if req.Reason != "" {
		by = req.Reason
	}
	return fmt.Sprintf("promptgate: %s %s %d%% → %d%%\n\n%s", verb, flag, from, to, by)
}

// stillAsked fetches the comment again right before a commit. A comment deleted
// or edited since the delivery, so that it no longer holds the command, refuses
// it: the delivery is a copy, and only what the comment says now counts.
func stillAsked(ctx context.Context, gh *github.Client, req Request, c chatops.Command) (*Refusal, error) {
	ic, resp, err := gh.Issues.GetComment(ctx, req.Owner, req.Repo, req.CommentID)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return &Refusal{RuleComment, "the comment was deleted before the change was committed; nothing changed."}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch comment %d again: %w", req.CommentID, err)
	}
	if ic.GetUser().GetLogin() != req.Commenter {
		return &Refusal{RuleComment, "the comment's author is not the commenter of the delivery; nothing changed."}, nil
	}
	cmds, _ := chatops.Parse(ic.GetBody())
	for _, now := range cmds {
		if now.Kind == c.Kind && now.Flag == c.Flag && now.Percent == c.Percent {
			return nil, nil
		}
	}
	return &Refusal{RuleComment, "the comment was edited and no longer holds this command; nothing changed."}, nil
}

// protected reports whether a failed commit was refused by branch protection or
// a ruleset, which no retry fixes, rather than by a stale sha.
func protected(resp *github.Response, err error) bool {
	if resp == nil || (resp.StatusCode != http.StatusUnprocessableEntity && resp.StatusCode != http.StatusConflict) {
		return false
	}
	msg := strings.ToLower(errorMessage(err))
	for _, sign := range []string{"protected branch", "must be made through a pull request", "rule violation", "required status check"} {
		if strings.Contains(msg, sign) {
			return true
		}
	}
	return false
}

// errorMessage is GitHub's message for a failed request, without the URL.
func errorMessage(err error) string {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Message != "" {
		return ge.Message
	}
	return err.Error()
}
