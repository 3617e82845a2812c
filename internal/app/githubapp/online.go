package githubapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/online"
	"github.com/promptgate/promptgate/internal/config"
)

// onlineLoader reads a repository's promptgate.yaml from its default branch,
// and the flags file it names from the rollout branch, as the App's
// installation on it. A pull request never reaches either.
type onlineLoader struct{ clients *clients }

var _ online.Loader = onlineLoader{}

// LoadOnline implements online.Loader.
func (l onlineLoader) LoadOnline(ctx context.Context, owner, repo string) (*config.Config, []byte, error) {
	gh, err := l.clients.forRepo(ctx, owner, repo)
	if err != nil {
		return nil, nil, err
	}
	r, _, err := gh.Repositories.Get(ctx, owner, repo)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s/%s: %w", owner, repo, err)
	}
	branch := r.GetDefaultBranch()
	data, err := readContent(ctx, gh, owner, repo, branch, config.FileName)
	cfg := config.Default()
	switch {
	case errors.Is(err, errNoFile):
	case err != nil:
		return nil, nil, err
	default:
		if cfg, err = config.Parse(data, config.FileName); err != nil {
			return nil, nil, fmt.Errorf("parse %s on %s of %s/%s: %w", config.FileName, branch, owner, repo, err)
		}
	}
	if len(cfg.Online) == 0 {
		return cfg, nil, nil
	}
	if cfg.Rollout.Branch != "" {
		branch = cfg.Rollout.Branch
	}
	flags, err := readContent(ctx, gh, owner, repo, branch, cfg.Rollout.FlagsFile)
	if err != nil {
		return nil, nil, err
	}
	return cfg, flags, nil
}

var errNoFile = errors.New("no such file")

func readContent(ctx context.Context, gh *github.Client, owner, repo, ref, path string) ([]byte, error) {
	fc, _, resp, err := gh.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("read %s on %s of %s/%s: %w", path, ref, owner, repo, errNoFile)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s on %s of %s/%s: %w", path, ref, owner, repo, err)
	}
	if fc == nil {
		return nil, fmt.Errorf("read %s on %s of %s/%s: it is a directory", path, ref, owner, repo)
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decode %s on %s of %s/%s: %w", path, ref, owner, repo, err)
	}
	return []byte(s), nil
}

// newOnline builds the OTLP receiver when tokens are configured, else nil.
func (s *Server) newOnline(cfg Config) *online.Receiver {
	if cfg.OTLPTokens.Empty() {
		return nil
	}
	return online.New(online.Options{Tokens: cfg.OTLPTokens, Loader: onlineLoader{s.clients},
		Judge: online.NewJudge(cfg.JudgeKeys, s.log), Workers: cfg.OnlineWorkers, Queue: cfg.OnlineQueue, ExportRate: cfg.OTLPRate,
		Logger: s.log.With("component", "online"), Metrics: s.metrics})
}

// filter is the webhook.Filter: command comments, and pushes when online
// evaluation needs to hear of new configs.
func (s *Server) filter(event string, body []byte) (bool, string) {
	if event == "push" && s.online != nil {
		return true, ""
	}
	return wanted(event, body)
}

// pushed reads a push to a repository's default branch again for online
// evaluation: its promptgate.yaml or flags file may have changed.
func (s *Server) pushed(ev *github.PushEvent) {
	if s.online == nil {
		return
	}
	if strings.TrimPrefix(ev.GetRef(), "refs/heads/") == ev.GetRepo().GetDefaultBranch() {
		s.online.Invalidate(ev.GetRepo().GetFullName())
	}
}
