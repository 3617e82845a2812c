package rollout

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
)

// Driver steps automatic rollouts: on every tick it runs Service.Tick for each
// watched repository. Repositories are watched when an automatic rollout
// starts or resumes there, or when serve finds one on start; one with no flag
// left in auto mode is dropped. The state is in git, so a Driver holds nothing
// that a restart would lose.
type Driver struct {
	svc *Service
	log *slog.Logger

	mu    sync.Mutex
	repos map[string]Repo
}

// NewDriver returns a Driver for svc and sets svc.Driver to it.
func NewDriver(svc *Service, log *slog.Logger) *Driver {
	d := &Driver{svc: svc, log: log, repos: map[string]Repo{}}
	svc.Driver = d
	return d
}

// Watch adds repo (or refreshes its client).
func (d *Driver) Watch(repo Repo) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.repos[repo.Owner+"/"+repo.Name] = repo
}

// Watching returns the watched repositories' owner/name keys.
func (d *Driver) Watching() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	keys := make([]string, 0, len(d.repos))
	for k := range d.repos {
		keys = append(keys, k)
	}
	return keys
}

// Run sweeps on every tick until ctx ends.
func (d *Driver) Run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			d.Sweep(ctx)
		}
	}
}

// Sweep takes the due steps of every watched repository once.
func (d *Driver) Sweep(ctx context.Context) {
	d.mu.Lock()
	repos := make([]Repo, 0, len(d.repos))
	for _, r := range d.repos {
		repos = append(repos, r)
	}
	d.mu.Unlock()
	for _, r := range repos {
		if ctx.Err() != nil {
			return
		}
		active, err := d.svc.Tick(ctx, r, d.log)
		if err != nil {
			d.log.Warn("automatic rollout sweep", "repo", r.Owner+"/"+r.Name, "error", err)
		}
		if !active && err == nil {
			d.mu.Lock()
			delete(d.repos, r.Owner+"/"+r.Name)
			d.mu.Unlock()
		}
	}
}

// watch tells the driver, if any, about the request's repository.
func (s *Service) watch(req Request, gh *github.Client) {
	if s.Driver != nil {
		s.Driver.Watch(Repo{Owner: req.Owner, Name: req.Repo, DefaultBranch: req.DefaultBranch, Client: gh})
	}
}
