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
	"strconv"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/analysis"
	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/mdsafe"
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
	// CreatedAt is when the comment was written, from the signed payload. A
	// comment older than rollout.max_comment_age is refused; zero counts as too old.
	CreatedAt time.Time
	// Reason, when set, replaces "Requested by @commenter in #PR." in the commit
	// message, for changes no comment asked for (an alert's rollback).
	Reason string

	// reads, set by Handle, shares one comment's reads between its commands.
	reads *readMemo
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
	// Now is the clock for comment ages, the quiet window and automatic
	// rollouts; nil means time.Now.
	Now func() time.Time
	// Driver, when set, is told about repositories where an automatic rollout
	// starts or resumes, so it steps them without waiting for a webhook.
	Driver *Driver

	mu    sync.Mutex
	files map[string]*sync.Mutex
	quiet answerLimit
}

// outcome is what one command produced for the reply.
type outcome struct {
	ok   bool
	text string
}

// Handle runs every command in req.Body and answers on the PR. A body with no
// command line does nothing. The error reports only failures to talk to GitHub;
// refusals are answered, not returned.
func (s *Service) Handle(ctx context.Context, gh *github.Client, req Request, log *slog.Logger) (err error) {
	cmds, problems := chatops.Parse(req.Body)
	if len(cmds) == 0 && len(problems) == 0 {
		return nil
	}
	cmds, problems, ignored := chatops.Limit(cmds, problems, chatops.MaxCommands)
	req.reads = &readMemo{}
	// The commenter's permission comes first: until it is known, nothing the
	// comment says is quoted back, and low-permission users are rate limited.
	role, err := permission(ctx, gh, req)
	if err != nil {
		log.Error("check permission", "error", err)
		return err
	}
	if !config.PermissionAtLeast(role, QuietBelow) &&
		!s.quiet.allow(req.Owner+"/"+req.Repo+"#"+strconv.Itoa(req.PR), s.now()) {
		log.Info("not answering: the commenter is below triage and was answered on this PR within the hour", "role", role)
		return nil
	}
	seen, fresh := s.claim(ctx, gh, req, log)
	if !fresh {
		log.Warn("comment already handled: the App's eyes reaction is on it; not running it again")
		return nil
	}
	defer func() {
		if err != nil && seen != 0 {
			// Let GitHub's redelivery of a failed job claim the comment again.
			if _, derr := gh.Reactions.DeleteIssueCommentReaction(ctx, req.Owner, req.Repo, req.CommentID, seen); derr != nil {
				log.Warn("remove eyes reaction after a failure", "error", derr)
			}
		}
	}()

	cfg, err := loadConfig(ctx, gh, req)
	if err != nil {
		log.Error("load config", "error", err)
		return errors.Join(err, s.answer(ctx, gh, req, []outcome{{text: configErrorText(err)}}, log))
	}
	if age := s.now().Sub(req.CreatedAt); req.CreatedAt.IsZero() || age > cfg.Rollout.MaxCommentAge {
		log.Warn("command refused: comment too old", "created_at", req.CreatedAt, "max_age", cfg.Rollout.MaxCommentAge.String())
		r := Refusal{RuleMaxCommentAge, fmt.Sprintf("this comment was written %s ago; commands older than %s are not run, so an old command cannot be replayed over a newer one. Comment again to run it.",
			roundAge(age), cfg.Rollout.MaxCommentAge)}
		return s.answer(ctx, gh, req, []outcome{{text: r.textAll()}}, log)
	}

	var outs []outcome
	for _, p := range problems {
		outs = append(outs, outcome{text: problemText(p)})
	}
	var errs []error
	for _, c := range cmds {
		o, err := s.run(ctx, gh, req, cfg, role, c, log.With("flag", c.Flag))
		outs = append(outs, o)
		errs = append(errs, err)
	}
	if len(problems) > 0 {
		outs = append(outs, outcome{text: chatops.Usage()})
	}
	if ignored > 0 {
		log.Warn("command lines ignored", "ignored", ignored, "max", chatops.MaxCommands)
		outs = append(outs, outcome{ok: true, text: ignoredText(ignored)})
	}
	errs = append(errs, s.answer(ctx, gh, req, outs, log))
	return errors.Join(errs...)
}

func (s *Service) run(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, role string, c chatops.Command, log *slog.Logger) (outcome, error) {
	// The permission decides before anything is read for the command, so a
	// commenter who may not run it costs no API call.
	if r := permitted(req, cfg, role, c.Kind); r != nil {
		log.Info("command refused", "rule", r.Rule, "reason", r.Reason)
		return outcome{text: r.text(c)}, nil
	}
	switch c.Kind {
	case chatops.Help:
		return outcome{ok: true, text: chatops.Usage()}, nil
	case chatops.Status:
		return s.status(ctx, gh, req, cfg, c.Flag)
	case chatops.Auto, chatops.Pause, chatops.Resume:
		return s.autoCommand(ctx, gh, req, cfg, role, c, log)
	case chatops.Rollout, chatops.Rollback:
		pct := c.Percent
		if c.Kind == chatops.Rollback {
			pct = 0
		}
		gate, err := s.authorize(ctx, gh, req, cfg, role, c.Kind, pct)
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
		res, err := s.apply(ctx, gh, req, cfg, c, pct)
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
		return outcome{text: fmt.Sprintf("I do not know how to run %s.\n\n%s", mdsafe.Code(c.Raw), chatops.Usage())}, nil
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
	body := fitReply(texts)
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

// claim adds the 👀 reaction, which marks the comment as taken in GitHub itself:
// GitHub answers 200 instead of 201 when the App's identical reaction is already
// there, so a comment replayed to any replica, even one that never saw it, is
// not run twice. fresh is false only for that 200; when the reaction cannot be
// added at all, the command still runs (the age limit and the comment-ID memory
// still hold). id is the reaction to remove if the job fails.
func (s *Service) claim(ctx context.Context, gh *github.Client, req Request, log *slog.Logger) (id int64, fresh bool) {
	r, resp, err := gh.Reactions.CreateIssueCommentReaction(ctx, req.Owner, req.Repo, req.CommentID, ReactionSeen)
	if err != nil {
		log.Warn("add reaction", "reaction", ReactionSeen, "error", err)
		return 0, true
	}
	if resp.StatusCode == http.StatusOK {
		return 0, false
	}
	return r.GetID(), true
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

// roundAge shows an age to the second, or "an unknown time" for a zero CreatedAt.
func roundAge(d time.Duration) string {
	if d > 100*365*24*time.Hour {
		return "an unknown time"
	}
	return d.Round(time.Second).String()
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
