package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/analysis"
	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
)

// RuleAuto names the automatic rollout's own rules in refusals.
const RuleAuto = "rollout auto"

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// readFlag reads the flags file on the trusted branch and flag's split and
// auto state; a missing file or flag comes back as a refusal.
func (s *Service) readFlag(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, flag string) (flagd.Split, autoState, *Refusal, error) {
	branch, path := branchOf(req, cfg), cfg.Rollout.FlagsFile
	doc, _, err := readFile(ctx, gh, req, branch, path)
	if errors.Is(err, errNotFound) {
		return flagd.Split{}, autoState{}, &Refusal{RuleFlagExists, fmt.Sprintf("there is no flags file `%s` on `%s` (rollout.flags_file).", path, branch)}, nil
	}
	if err != nil {
		return flagd.Split{}, autoState{}, nil, err
	}
	format := flagd.FormatForPath(path)
	split, err := flagd.ReadSplit(doc, format, flag)
	if errors.Is(err, flagd.ErrFlagNotFound) {
		return flagd.Split{}, autoState{}, &Refusal{RuleFlagExists, missingFlagReason(doc, format, flag, path, branch)}, nil
	}
	if err != nil {
		return flagd.Split{}, autoState{}, nil, fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path))
	}
	md, err := flagd.ReadMeta(doc, format, flag)
	if err != nil {
		return flagd.Split{}, autoState{}, nil, fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path))
	}
	return split, readAutoState(md), nil, nil
}

// autoCommand runs /rollout f auto, pause or resume. Starting and resuming
// follow the rules of a manual raise to the next step (permission, teams,
// require_check and, for the raise itself, rollout.analysis); pausing only
// needs the permission a rollback needs.
func (s *Service) autoCommand(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, role string, c chatops.Command, log *slog.Logger) (outcome, error) {
	fail := func(err error) (outcome, error) { return outcome{text: failureText(c, err)}, err }
	refuse := func(r *Refusal) (outcome, error) {
		log.Info("command refused", "rule", r.Rule, "reason", r.Reason)
		return outcome{text: r.text(c)}, nil
	}
	if len(cfg.Rollout.Analysis) == 0 && c.Kind != chatops.Pause {
		return refuse(&Refusal{RuleAnalysis, "an automatic rollout needs live metrics to judge each step, and promptgate.yaml on the default branch lists none."})
	}
	split, st, r, err := s.readFlag(ctx, gh, req, cfg, c.Flag)
	if err != nil {
		return fail(err)
	}
	if r != nil {
		return refuse(r)
	}
	next := nextStep(cfg.Rollout.Steps, split.RolloutPct)
	kind, pct := chatops.Rollout, next
	switch c.Kind {
	case chatops.Pause:
		kind, pct = chatops.Rollback, 0
		if st.Mode != ModeAuto {
			return refuse(&Refusal{RuleAuto, fmt.Sprintf("`%s` is not in an automatic rollout (mode `%s`).", c.Flag, modeName(st.Mode))})
		}
	case chatops.Resume:
		if st.Mode != ModePaused {
			return refuse(&Refusal{RuleAuto, fmt.Sprintf("`%s` has no paused automatic rollout (mode `%s`); start one with `/rollout %s auto`.", c.Flag, modeName(st.Mode), c.Flag)})
		}
	case chatops.Auto:
		if st.Mode == ModeAuto || st.Mode == ModePaused {
			return refuse(&Refusal{RuleAuto, fmt.Sprintf("`%s` is already in an automatic rollout (mode `%s`, at %d%%).", c.Flag, st.Mode, split.RolloutPct)})
		}
	}
	if kind == chatops.Rollout && next < 0 {
		return refuse(&Refusal{RuleSteps, fmt.Sprintf("`%s` is at %d%%, the last of rollout.steps (%s); there is no step left to roll out.", c.Flag, split.RolloutPct, percents(cfg.Rollout.Steps))})
	}
	gate, err := s.authorize(ctx, gh, req, cfg, role, kind, pct)
	if err != nil {
		return fail(err)
	}
	if gate.refusal != nil {
		return refuse(gate.refusal)
	}
	now := s.now()
	interval := cfg.Rollout.Interval
	switch c.Kind {
	case chatops.Pause:
		st.Mode, st.Next = ModePaused, time.Time{}
		res, err := s.commitAuto(ctx, gh, req, cfg, c.Flag, flagd.KeepSplit, st, nil, fmt.Sprintf("Paused by @%s in #%d.", req.Commenter, req.PR), &c)
		if err != nil || res.refusal != nil {
			return s.autoFailed(c, res, err)
		}
		return outcome{ok: true, text: fmt.Sprintf("⏸️ Paused the automatic rollout of `%s` at **%d%%**. `/rollout %s resume` carries it on; `/rollout %s N` or `/rollback %s` ends it.\n\nCommit [`%s`](%s).",
			c.Flag, split.RolloutPct, c.Flag, c.Flag, c.Flag, short(res.commitSHA), res.commitURL)}, nil
	case chatops.Resume:
		st.Mode, st.PR, st.Next = ModeAuto, req.PR, now.Add(interval)
		res, err := s.commitAuto(ctx, gh, req, cfg, c.Flag, flagd.KeepSplit, st, nil, fmt.Sprintf("Resumed by @%s in #%d.", req.Commenter, req.PR), &c)
		if err != nil || res.refusal != nil {
			return s.autoFailed(c, res, err)
		}
		s.watch(req, gh)
		return outcome{ok: true, text: fmt.Sprintf("▶️ Resumed the automatic rollout of `%s` at **%d%%**; next step %d%% after the analysis at %s.\n\nCommit [`%s`](%s).",
			c.Flag, split.RolloutPct, next, now.Add(interval).Format(time.RFC3339), short(res.commitSHA), res.commitURL)}, nil
	}
	// Start: the first step is a manual raise with the same analysis.
	guard, err := s.guard(ctx, gh, req, cfg, c.Flag, next)
	if err != nil {
		return fail(err)
	}
	if guard.refusal != nil {
		return refuse(guard.refusal)
	}
	st = autoState{Mode: ModeAuto, Step: next, Verdict: string(analysis.Pass), PR: req.PR, Next: now.Add(interval)}
	if guard.firstExposure {
		st.Verdict = verdictNone
	}
	if nextStep(cfg.Rollout.Steps, next) < 0 {
		st.Mode, st.Next = ModeDone, time.Time{}
	}
	res, err := s.commitAuto(ctx, gh, req, cfg, c.Flag, next, st, nil, fmt.Sprintf("Requested by @%s in #%d.", req.Commenter, req.PR), &c)
	if err != nil || res.refusal != nil {
		return s.autoFailed(c, res, err)
	}
	s.watch(req, gh)
	text := appliedText(c, res, gate.cost) + "\n\n" + autoPlan(cfg, st, c.Flag) + guard.note()
	return outcome{ok: true, text: text}, nil
}

func (s *Service) autoFailed(c chatops.Command, res applied, err error) (outcome, error) {
	if err != nil {
		return outcome{text: failureText(c, err)}, err
	}
	return outcome{text: res.refusal.text(c)}, nil
}

func modeName(m Mode) string {
	if m == "" {
		return "none"
	}
	return string(m)
}

// autoPlan says what the automatic rollout will do next.
func autoPlan(cfg *config.Config, st autoState, flag string) string {
	if st.Mode == ModeDone {
		return fmt.Sprintf("🏁 That was the last of rollout.steps: the automatic rollout of `%s` is done.", flag)
	}
	return fmt.Sprintf("🤖 Automatic rollout: every %s, when every rollout.analysis metric passes, `%s` moves to the next of %s; "+
		"after %d analyses in a row that do not pass (inconclusive counts as not passing) it is rolled back to 0%%. "+
		"Next analysis at %s. `/rollout %s pause` holds it; `/rollout %s N` or `/rollback %s` ends it.",
		cfg.Rollout.Interval, flag, percents(cfg.Rollout.Steps), cfg.Rollout.FailureLimit, st.Next.Format(time.RFC3339), flag, flag, flag)
}
