package online

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/llm"
)

// Loader reads a repository's promptgate.yaml and the flags file it names from
// its default branch. serve implements it with the App's installation token.
type Loader interface {
	LoadOnline(ctx context.Context, owner, repo string) (cfg *config.Config, flags []byte, err error)
}

// JudgeFactory builds the judge client for a repository's llm-rubric
// assertions from its providers; see NewJudge.
type JudgeFactory func(repo string, cfg *config.Config) (llm.Completer, error)

// repoConfig is one repository's online evaluation, compiled.
type repoConfig struct {
	flags  map[string]*flagEval
	loaded time.Time
	err    error
}

// flagEval is one flag's online evaluation.
type flagEval struct {
	rate     float64
	variants map[string]bool
	asserts  []labelled
	env      assert.Env
	// prices price an answer from its model and token counts, for cost assertions.
	prices *cost.Table
}

type labelled struct {
	label string
	a     assert.Assertion
}

// compile turns a repository's config and flags file into its online
// evaluation. A flag under online: that the flags file lacks is an error, as
// is an assertion that does not compile.
func compile(repo string, cfg *config.Config, flagsDoc []byte, judge JudgeFactory) (*repoConfig, error) {
	rc := &repoConfig{flags: map[string]*flagEval{}}
	if len(cfg.Online) == 0 {
		return rc, nil
	}
	prices := cost.ForConfig(cfg)
	var env assert.Env
	env.JudgeModel = cfg.Defaults.JudgeModel
	needsJudge := false
	var errs []error
	for _, of := range cfg.Online {
		fe := &flagEval{rate: of.SampleRate, variants: map[string]bool{}, prices: prices}
		sp, err := flagd.ReadSplit(flagsDoc, flagd.FormatForPath(cfg.Rollout.FlagsFile), of.Flag)
		if err != nil {
			errs = append(errs, fmt.Errorf("online.%s: read the flag from %s: %w", of.Flag, cfg.Rollout.FlagsFile, flagd.InFile(err, cfg.Rollout.FlagsFile)))
			continue
		}
		fe.variants[sp.Stable] = true
		if sp.Rollout != "" {
			fe.variants[sp.Rollout] = true
		}
		for _, oa := range of.Assert {
			a, err := assert.Compile(cfg.Path, oa.Line, assert.Spec{Type: oa.Type, Value: oa.Value,
				Threshold: oa.Threshold, Weight: oa.Weight, Provider: oa.Provider})
			if err != nil {
				errs = append(errs, err)
				continue
			}
			needsJudge = needsJudge || a.Type == "llm-rubric"
			fe.asserts = append(fe.asserts, labelled{label: oa.Label(), a: a})
		}
		rc.flags[of.Flag] = fe
	}
	if needsJudge && judge != nil {
		j, err := judge(repo, cfg)
		if err != nil {
			errs = append(errs, fmt.Errorf("llm-rubric judge: %w", err))
		}
		env.Judge = j
	}
	for _, fe := range rc.flags {
		fe.env = env
	}
	return rc, errors.Join(errs...)
}

// configs caches each repository's compiled online evaluation. Entries are
// reloaded after ttl, or at once after Invalidate (a push to the default
// branch); one load per repository runs at a time, and a failed load is
// retried only after retryAfter, so a burst of exports makes one GitHub call.
type configs struct {
	loader     Loader
	judge      JudgeFactory
	ttl        time.Duration
	retryAfter time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu      sync.Mutex
	byRepo  map[string]*repoConfig
	loading map[string]chan struct{}
}

// get returns repo's online evaluation, loading it when it is missing or old.
// A stale entry is served while a reload runs in the background.
func (c *configs) get(ctx context.Context, repo string) *repoConfig {
	c.mu.Lock()
	rc := c.byRepo[repo]
	fresh := rc != nil && c.now().Sub(rc.loaded) < c.ttl
	if rc != nil && rc.err != nil {
		fresh = c.now().Sub(rc.loaded) < c.retryAfter
	}
	if fresh {
		c.mu.Unlock()
		return rc
	}
	wait, busy := c.loading[repo]
	if !busy {
		wait = make(chan struct{})
		c.loading[repo] = wait
		go c.load(repo, wait)
	}
	c.mu.Unlock()
	if rc != nil && rc.err == nil {
		return rc
	}
	select {
	case <-wait:
	case <-ctx.Done():
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byRepo[repo]
}

func (c *configs) load(repo string, done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rc, err := c.fetch(ctx, repo)
	if err != nil {
		c.log.Error("load online evaluation config; its samples are not counted until it loads", "repo", repo, "error", err)
		if rc == nil {
			rc = &repoConfig{}
		}
		rc.err = err
	}
	rc.loaded = c.now()
	c.mu.Lock()
	c.byRepo[repo] = rc
	delete(c.loading, repo)
	c.mu.Unlock()
	close(done)
}

func (c *configs) fetch(ctx context.Context, repo string) (*repoConfig, error) {
	owner, name, _ := strings.Cut(repo, "/")
	cfg, flags, err := c.loader.LoadOnline(ctx, owner, name)
	if err != nil {
		return nil, err
	}
	rc, err := compile(repo, cfg, flags, c.judge)
	if err != nil {
		// Flags that compiled keep working; the error is logged once.
		c.log.Error("online evaluation config has errors; the flags concerned are not evaluated", "repo", repo, "error", err)
	}
	return rc, nil
}

// invalidate makes the next get reload repo.
func (c *configs) invalidate(repo string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rc := c.byRepo[repo]; rc != nil {
		rc2 := *rc
		rc2.loaded = time.Time{}
		c.byRepo[repo] = &rc2
	}
}
