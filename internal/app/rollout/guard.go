package rollout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/analysis"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
)

// RuleAnalysis names the live-metrics rule in refusals.
const RuleAnalysis = "rollout.analysis"

// prometheusTimeout bounds one Prometheus query when Service.Prometheus is nil.
const prometheusTimeout = 15 * time.Second

// guarded is what the analysis said about a raise: nothing (no analysis
// configured, or not a raise), a refusal, or the passing table for the reply.
type guarded struct {
	refusal *Refusal
	result  *analysis.Result
	// firstExposure is set when the raise starts from 0%: the canary has served
	// nobody yet, so there is nothing to analyse.
	firstExposure bool
}

// guard runs rollout.analysis before a command that raises flag's share to pct.
// Lowering a share, or /rollback, never waits for it: backing out must stay fast.
func (s *Service) guard(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, flag string, pct int) (guarded, error) {
	if len(cfg.Rollout.Analysis) == 0 {
		return guarded{}, nil
	}
	split, ok, err := s.currentSplit(ctx, gh, req, cfg, flag)
	if err != nil || !ok || pct <= split.RolloutPct {
		return guarded{}, err // a missing flag is refused by apply, with its own rule
	}
	if split.RolloutPct == 0 {
		return guarded{firstExposure: true}, nil
	}
	res, err := s.analyze(ctx, cfg, split)
	if err != nil {
		return guarded{}, err
	}
	if !res.Passed() {
		reason := fmt.Sprintf("the canary's live metrics do not allow %d%% → %d%%; every metric must pass, and missing data does not count as a pass.\n\n%s",
			split.RolloutPct, pct, res.Markdown())
		return guarded{refusal: &Refusal{RuleAnalysis, reason}, result: &res}, nil
	}
	return guarded{result: &res}, nil
}

// currentSplit reads flag's split from the flags file on the trusted branch;
// ok is false when the file or the flag is missing.
func (s *Service) currentSplit(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, flag string) (flagd.Split, bool, error) {
	branch, path := branchOf(req, cfg), cfg.Rollout.FlagsFile
	doc, _, err := readFile(ctx, gh, req, branch, path)
	if errors.Is(err, errNotFound) {
		return flagd.Split{}, false, nil
	}
	if err != nil {
		return flagd.Split{}, false, err
	}
	split, err := flagd.ReadSplit(doc, flagd.FormatForPath(path), flag)
	if errors.Is(err, flagd.ErrFlagNotFound) {
		return flagd.Split{}, false, nil
	}
	if err != nil {
		return flagd.Split{}, false, fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path))
	}
	return split, true, nil
}

// analyze runs every configured metric for the split's stable and rollout variants.
func (s *Service) analyze(ctx context.Context, cfg *config.Config, split flagd.Split) (analysis.Result, error) {
	client := s.Prometheus
	if client == nil {
		client = &http.Client{Timeout: prometheusTimeout}
	}
	a, err := analysis.New(cfg.Rollout.PrometheusURL, client)
	if err != nil {
		return analysis.Result{}, err
	}
	return a.Run(ctx, cfg.Rollout.Analysis, split.Flag, split.Stable, split.Rollout), nil
}

// analysisNote is the passing table appended to a successful rollout's reply.
func (g guarded) note() string {
	if g.firstExposure {
		return "\n\nrollout.analysis did not run: at 0% the canary has served nobody yet. Every further raise must pass it."
	}
	if g.result == nil {
		return ""
	}
	return "\n\n" + g.result.Markdown()
}
