// Package rollout turns ChatOps commands on a pull request into commits to the
// repo's flagd flags file. It checks the commenter and the PR against the rules in
// promptgate.yaml (read from the trusted branch, never the PR head), edits only the
// fractional weights, commits through the Contents API with the blob sha, retries on
// a stale sha, and answers on the PR with a comment and reactions.
package rollout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/analysis"
	"github.com/promptgate/promptgate/internal/chatops"
	"github.com/promptgate/promptgate/internal/config"
)

// DefaultMaxAttempts bounds read-modify-commit attempts per command.
const DefaultMaxAttempts = 5

// Reactions the App leaves on the command comment.
const (
	ReactionSeen    = "eyes"
	ReactionDone    = "rocket"
	ReactionRefused = "confused"
)

// Request is one PR comment that may hold commands.
type Request struct {
	Owner, Repo string
	// DefaultBranch is the repository's default branch, where promptgate.yaml is read.
	DefaultBranch string
	// PR is the pull request number.
	PR int
	// CommentID is the comment to react to; Commenter its author's login.
	CommentID int64
	Commenter string
	Body      string
	// Reason, when set, replaces "Requested by @commenter in #PR." in the commit
	// message, for changes no comment asked for (an alert's rollback).
	Reason string
}

// Service runs commands. The zero value is ready to use.
type Service struct {
	// MaxAttempts bounds commit attempts per command; 0 means DefaultMaxAttempts.
	MaxAttempts int
	// Backoff returns the pause before attempt n+1 after n failed; nil means a
	// jittered exponential backoff from 100 ms.
	Backoff func(n int) time.Duration
	// Prometheus is the HTTP client for rollout.analysis queries; nil means a
	// client with a 15 s timeout.
	Prometheus *http.Client
	// Now is the clock automatic rollouts read; nil means time.Now.
	Now func() time.Time
	// Driver, when set, is told about repositories where an automatic rollout
	// starts or resumes, so it steps them without waiting for a webhook.
	Driver *Driver

	mu    sync.Mutex
	files map[string]*sync.Mutex
}

// outcome is what one command produced for the reply.
type outcome struct {
	ok   bool
	text string
}

// Handle runs every command in req.Body and answers on the PR. A body with no
// command line does nothing. The error reports only failures to talk to GitHub;
// refusals are answered, not returned.
func (s *Service) Handle(ctx context.Context, gh *github.Client, req Request, log *slog.Logger) error {
	cmds, problems := chatops.Parse(req.Body)
	if len(cmds) == 0 && len(problems) == 0 {
		return nil
	}
	s.react(ctx, gh, req, ReactionSeen, log)

	cfg, err := loadConfig(ctx, gh, req)
	if err != nil {
		log.Error("load config", "error", err)
		return errors.Join(err, s.answer(ctx, gh, req, []outcome{{text: configErrorText(err)}}, log))
	}

	var outs []outcome
	for _, p := range problems {
		outs = append(outs, outcome{text: problemText(p)})
	}
	var errs []error
	for _, c := range cmds {
		o, err := s.run(ctx, gh, req, cfg, c, log.With("flag", c.Flag))
		outs = append(outs, o)
		errs = append(errs, err)
	}
	if len(problems) > 0 {
		outs = append(outs, outcome{text: chatops.Usage()})
	}
	errs = append(errs, s.answer(ctx, gh, req, outs, log))
	return errors.Join(errs...)
}

func (s *Service) run(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, c chatops.Command, log *slog.Logger) (outcome, error) {
	switch c.Kind {
	case chatops.Help:
		return outcome{ok: true, text: chatops.Usage()}, nil
	case chatops.Status:
		return s.status(ctx, gh, req, cfg, c.Flag)
	case chatops.Auto, chatops.Pause, chatops.Resume:
		return s.autoCommand(ctx, gh, req, cfg, c, log)
	case chatops.Rollout, chatops.Rollback:
		pct := c.Percent
		if c.Kind == chatops.Rollback {
			pct = 0
		}
		gate, err := s.authorize(ctx, gh, req, cfg, c.Kind, pct)
		if err != nil {
			log.Error("check rules", "error", err)
			return outcome{text: failureText(c, err)}, err
		}
		if gate.refusal != nil {
			if gate.refusal.Rule == RuleSteps && pct == 0 {
				gate.refusal.Reason += fmt.Sprintf(" To send every key back to the stable variant, use `/rollback %s`.", c.Flag)
			}
			log.Info("command refused", "rule", gate.refusal.Rule, "reason", gate.refusal.Reason)
			return outcome{text: gate.refusal.text(c)}, nil
		}
		guard, err := s.guard(ctx, gh, req, cfg, c.Flag, pct)
		if err != nil {
			log.Error("analyse live metrics", "error", err)
			return outcome{text: failureText(c, err)}, err
		}
		if guard.refusal != nil {
			log.Info("command refused", "rule", guard.refusal.Rule, "failed", guard.result.Count(analysis.Fail),
				"inconclusive", guard.result.Count(analysis.Inconclusive))
			return outcome{text: guard.refusal.text(c)}, nil
		}
		res, err := s.apply(ctx, gh, req, cfg, c.Flag, pct)
		if err != nil {
			log.Error("apply rollout", "error", err)
			return outcome{text: failureText(c, err)}, err
		}
		if res.refusal != nil {
			log.Info("command refused", "rule", res.refusal.Rule, "reason", res.refusal.Reason)
			return outcome{text: res.refusal.text(c)}, nil
		}
		log.Info("rollout applied", "from_pct", res.before.RolloutPct, "to_pct", res.after.RolloutPct,
			"commit", res.commitSHA, "attempts", res.attempts)
		return outcome{ok: true, text: appliedText(c, res, gate.cost) + guard.note()}, nil
	default:
		return outcome{text: fmt.Sprintf("I do not know how to run `%s`.\n\n%s", c.Raw, chatops.Usage())}, nil
	}
}

// answer posts one reply for the whole comment and the closing reaction.
func (s *Service) answer(ctx context.Context, gh *github.Client, req Request, outs []outcome, log *slog.Logger) error {
	ok := true
	texts := make([]string, 0, len(outs))
	for _, o := range outs {
		ok = ok && o.ok
		texts = append(texts, o.text)
	}
	body := strings.Join(texts, "\n\n---\n\n")
	_, _, err := gh.Issues.CreateComment(ctx, req.Owner, req.Repo, req.PR, &github.IssueComment{Body: &body})
	if err != nil {
		err = fmt.Errorf("post reply on PR #%d: %w", req.PR, err)
		log.Error("reply", "error", err)
	}
	final := ReactionDone
	if !ok {
		final = ReactionRefused
	}
	s.react(ctx, gh, req, final, log)
	return err
}

// react is best effort: a missing reaction must not stop a rollout.
func (s *Service) react(ctx context.Context, gh *github.Client, req Request, content string, log *slog.Logger) {
	if _, _, err := gh.Reactions.CreateIssueCommentReaction(ctx, req.Owner, req.Repo, req.CommentID, content); err != nil {
		log.Warn("add reaction", "reaction", content, "error", err)
	}
}

// fileLock serialises this process's commits to one file, so that its own
// commands do not race each other; other replicas are handled by the sha retry.
func (s *Service) fileLock(key string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string]*sync.Mutex{}
	}
	m, ok := s.files[key]
	if !ok {
		m = &sync.Mutex{}
		s.files[key] = m
	}
	return m
}

func (s *Service) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

func (s *Service) backoff(n int) time.Duration {
	if s.Backoff != nil {
		return s.Backoff(n)
	}
	d := min(100*time.Millisecond<<(n-1), 2*time.Second)
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
