package githubapp

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/rollout"
)

// rescanEvery is how often serve lists its installations again, so that a
// replica also carries on rollouts another replica started (and then lost).
const rescanEvery = 5 * time.Minute

// runAuto carries on automatic rollouts until ctx ends: it watches every
// repository of every installation (a flag in auto mode there resumes without
// waiting for a webhook), sweeps them every poll, and lists the installations
// again every rescanEvery. It returns only after its last sweep, so a stopped
// server commits nothing more.
func (s *Server) runAuto(ctx context.Context, poll time.Duration) {
	if poll <= 0 {
		poll = DefaultAutoPoll
	}
	rescan := func() {
		if err := s.watchInstallations(ctx); err != nil && ctx.Err() == nil {
			// The webhook path still watches repos where someone runs a command.
			s.log.Error("list installations to resume automatic rollouts", "error", err)
		}
	}
	rescan()
	s.driver.Sweep(ctx)
	sweep, again := time.NewTicker(poll), time.NewTicker(rescanEvery)
	defer sweep.Stop()
	defer again.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-again.C:
			rescan()
		case <-sweep.C:
			s.driver.Sweep(ctx)
		}
	}
}

// watchInstallations lists the App's installations (GET /app/installations, as
// the App) and each one's repositories (GET /installation/repositories, with
// the installation's token), and watches them all.
func (s *Server) watchInstallations(ctx context.Context) error {
	app := s.clients.app.AsApp()
	var installs []*github.Installation
	for opt := (&github.ListOptions{PerPage: 100}); ; {
		page, resp, err := app.Apps.ListInstallations(ctx, opt)
		if err != nil {
			return fmt.Errorf("list installations: %w", err)
		}
		installs = append(installs, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	n := 0
	for _, inst := range installs {
		gh, err := s.clients.forInstallation(inst.GetID())
		if err != nil {
			return err
		}
		for opt := (&github.ListOptions{PerPage: 100}); ; {
			page, resp, err := gh.Apps.ListRepos(ctx, opt)
			if err != nil {
				return fmt.Errorf("list repositories of installation %d: %w", inst.GetID(), err)
			}
			for _, r := range page.Repositories {
				s.driver.Watch(rollout.Repo{Owner: r.GetOwner().GetLogin(), Name: r.GetName(),
					DefaultBranch: r.GetDefaultBranch(), Client: gh})
				n++
			}
			if resp.NextPage == 0 {
				break
			}
			opt.Page = resp.NextPage
		}
	}
	s.log.Info("looking for automatic rollouts to resume", "installations", len(installs), "repositories", n)
	return nil
}
