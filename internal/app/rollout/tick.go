package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/analysis"
	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// finishStepTimeout bounds how long a decided step's commit and PR comment may
// take once the server has begun to stop.
const finishStepTimeout = 30 * time.Second

// errSuperseded means the flag's auto state changed between reading it and
// committing: another replica took the step, or a person ended the rollout.
var errSuperseded = errors.New("the automatic rollout state changed under this step")

// commitAuto writes st (and the share pct, or flagd.KeepSplit) into flag with
// one compare-and-swap commit. With base set, it commits only while the file
// still holds base: on a stale sha it re-reads, and when the state moved on
// (another replica's commit) it returns errSuperseded instead of stepping twice.
//
// asked is the comment command that started, paused or resumed the rollout
// (nil for a step the driver takes): like a manual command, it is read again
// right before each commit attempt, so an edited or deleted comment commits
// nothing.
func (s *Service) commitAuto(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, flag string, pct int, st autoState, base *autoState, reason string, asked *chatops.Command) (applied, error) {
	path := cfg.Rollout.FlagsFile
	format := flagd.FormatForPath(path)
	return s.commitLoop(ctx, gh, req, cfg, func(doc []byte, res *applied) ([]byte, string, bool, error) {
		if base != nil {
			md, err := flagd.ReadMeta(doc, format, flag)
			if err != nil {
				return nil, "", true, fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path))
			}
			if readAutoState(md) != *base {
				return nil, "", true, errSuperseded
			}
		}
		out, before, after, err := flagd.Edit(doc, format, flag, pct, st.meta())
		if errors.Is(err, flagd.ErrFlagNotFound) {
			res.refusal = &Refusal{RuleFlagExists, missingFlagReason(doc, format, flag, path, res.branch)}
			return nil, "", true, nil
		}
		if err != nil {
			return nil, "", true, fmt.Errorf("set %s in %s: %w", flag, path, flagd.InFile(err, path))
		}
		res.before, res.after = before, after
		if asked != nil && asked.Raw != "" && req.CommentID != 0 {
			if res.refusal, err = stillAsked(ctx, gh, req, *asked); res.refusal != nil || err != nil {
				return nil, "", true, err
			}
		}
		return out, autoCommitMessage(flag, before.RolloutPct, after.RolloutPct, st, reason), false, nil
	})
}

func autoCommitMessage(flag string, from, to int, st autoState, reason string) string {
	subject := fmt.Sprintf("promptgate: auto rollout of %s at %d%% (%s)", flag, to, st.Mode)
	if from != to {
		verb := "roll out"
		if to < from {
			verb = "roll back"
		}
		subject = fmt.Sprintf("promptgate: %s %s %d%% → %d%%", verb, flag, from, to)
	}
	return fmt.Sprintf("%s\n\n%s\nAutomatic rollout of #%d: mode %s, last analysis %s, %d failed in a row.",
		subject, reason, st.PR, st.Mode, st.Verdict, st.Failures)
}

// Repo is a repository whose flags the automatic rollout watches, with the
// client of the App's installation on it.
type Repo struct {
	Owner, Name, DefaultBranch string
	Client                     *github.Client
}

// Tick takes every step that is due in repo's flags file: for each flag in
// auto mode whose next analysis time has come, it runs rollout.analysis and
// raises the share, holds it, or rolls it back, with one commit and one PR
// comment. active reports whether any flag is still in auto mode.
func (s *Service) Tick(ctx context.Context, repo Repo, log *slog.Logger) (active bool, err error) {
	gh := repo.Client
	req := Request{Owner: repo.Owner, Repo: repo.Name, DefaultBranch: repo.DefaultBranch}
	cfg, err := loadConfig(ctx, gh, req)
	if err != nil {
		return true, err
	}
	branch, path := branchOf(req, cfg), cfg.Rollout.FlagsFile
	doc, _, err := readFile(ctx, gh, req, branch, path)
	if errors.Is(err, errNotFound) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	format := flagd.FormatForPath(path)
	all, err := flagd.AllMeta(doc, format)
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, flagd.InFile(err, path))
	}
	var errs []error
	for _, flag := range slices.Sorted(maps.Keys(all)) {
		st := readAutoState(all[flag])
		if st.Mode != ModeAuto {
			continue
		}
		active = true
		if s.now().Before(st.Next) {
			continue
		}
		split, err := flagd.ReadSplit(doc, format, flag)
		if err != nil {
			errs = append(errs, fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path)))
			continue
		}
		flog := log.With("repo", repo.Owner+"/"+repo.Name, "flag", flag)
		if err := s.autoStep(ctx, gh, req, cfg, split, st, flog); err != nil {
			flog.Error("automatic rollout step", "error", err)
			errs = append(errs, err)
		}
	}
	return active, errors.Join(errs...)
}

// autoStep judges one due step and commits its outcome.
func (s *Service) autoStep(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, split flagd.Split, st autoState, log *slog.Logger) error {
	flag, now := split.Flag, s.now()
	// Flag and variant names come from the flags file: untrusted, shown escaped.
	name, canary, stable := mdsafe.Inline(flag), mdsafe.Inline(split.Rollout), mdsafe.Inline(split.Stable)
	base := st
	next := st
	var (
		pct    = flagd.KeepSplit
		reason string
		text   string
	)
	switch {
	case split.RolloutPct != st.Step:
		next.Mode, next.Next = ModeOff, time.Time{}
		reason = fmt.Sprintf("The share in the file is %d%%, not the %d%% the automatic rollout set; someone changed it by hand.", split.RolloutPct, st.Step)
		text = fmt.Sprintf("⏹️ Ended the automatic rollout of **%s**: %s", name, reason)
	case len(cfg.Rollout.Analysis) == 0:
		next.Mode, next.Next = ModeOff, time.Time{}
		reason = "promptgate.yaml on the default branch no longer lists rollout.analysis."
		text = fmt.Sprintf("⏹️ Ended the automatic rollout of **%s** at %d%%: %s", name, split.RolloutPct, reason)
	default:
		res, err := s.analyze(ctx, cfg, split)
		if err != nil {
			return err
		}
		table := res.Markdown()
		if res.Passed() {
			to := nextStep(cfg.Rollout.Steps, st.Step)
			if to < 0 {
				to = st.Step
			}
			pct = to
			next = autoState{Mode: ModeAuto, Step: to, Verdict: string(analysis.Pass), PR: st.PR, Next: now.Add(cfg.Rollout.Interval)}
			if nextStep(cfg.Rollout.Steps, to) < 0 {
				next.Mode, next.Next = ModeDone, time.Time{}
			}
			reason = "rollout.analysis passed."
			text = fmt.Sprintf("🤖 Automatic rollout of **%s**: every metric passed, **%d%% → %d%%** of keys get **%s**.",
				name, split.RolloutPct, to, canary)
			if next.Mode == ModeDone {
				text += fmt.Sprintf("\n\n🏁 That was the last of rollout.steps: the automatic rollout of **%s** is done.", name)
			} else {
				text += fmt.Sprintf(" Next analysis at %s.", next.Next.Format(time.RFC3339))
			}
			text += "\n\n" + table
			break
		}
		next.Failures++
		next.Verdict = string(analysis.Inconclusive)
		if res.Count(analysis.Fail) > 0 {
			next.Verdict = string(analysis.Fail)
		}
		if next.Failures >= cfg.Rollout.FailureLimit {
			pct = 0
			next.Mode, next.Step, next.Next = ModeRolledBack, 0, time.Time{}
			reason = fmt.Sprintf("rollout.analysis did not pass %d times in a row (rollout.failure_limit %d).", next.Failures, cfg.Rollout.FailureLimit)
			text = fmt.Sprintf("↩️ Rolled back **%s**: **%d%% → 0%%**. %s Every key gets stable **%s** again.\n\n%s",
				name, split.RolloutPct, reason, stable, table)
			break
		}
		next.Next = now.Add(cfg.Rollout.Interval)
		reason = fmt.Sprintf("rollout.analysis did not pass (%d of rollout.failure_limit %d).", next.Failures, cfg.Rollout.FailureLimit)
		text = fmt.Sprintf("⏳ Automatic rollout of **%s** holds at **%d%%**: %s Missing data does not count as a pass. Next analysis at %s.\n\n%s",
			name, split.RolloutPct, reason, next.Next.Format(time.RFC3339), table)
	}
	// From here the step is decided: its commit and its PR comment go
	// together, so a shutdown (serve stopping, a deploy) waits for both
	// rather than leave a step committed with nobody told.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishStepTimeout)
	defer cancel()
	res, err := s.commitAuto(ctx, gh, req, cfg, flag, pct, next, &base, reason, nil)
	if errors.Is(err, errSuperseded) {
		log.Info("another replica took this step; nothing to do")
		return nil
	}
	if err != nil {
		return err
	}
	if res.refusal != nil {
		log.Warn("automatic rollout step refused", "rule", res.refusal.Rule, "reason", res.refusal.Reason)
		return nil
	}
	log.Info("automatic rollout step", "from_pct", res.before.RolloutPct, "to_pct", res.after.RolloutPct,
		"mode", next.Mode, "verdict", next.Verdict, "failures", next.Failures, "commit", res.commitSHA)
	if st.PR <= 0 {
		return nil
	}
	body := text + fmt.Sprintf("\n\nCommit [`%s`](%s) to `%s` on `%s`.", short(res.commitSHA), res.commitURL, res.path, res.branch)
	if _, _, err := gh.Issues.CreateComment(ctx, req.Owner, req.Repo, st.PR, &github.IssueComment{Body: &body}); err != nil {
		// The step is committed and will not be taken again; report, don't retry.
		log.Error("comment on the PR", "pr", st.PR, "error", err)
	}
	return nil
}
