package githubapp

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/alertmanager"
	"github.com/promptgate/promptgate/internal/app/rollout"
)

// alertHandler returns the POST /alertmanager handler, or nil when token is
// empty: without a token the endpoint does not exist.
func (s *Server) alertHandler(token []byte) http.Handler {
	if len(token) == 0 {
		return nil
	}
	return alertmanager.NewHandler(token, alertmanager.RollbackFunc(s.alertRollback), s.log.With("endpoint", "/alertmanager"))
}

// alertRollback rolls one flag back for a firing alert, as the installation on
// the alert's repository.
func (s *Server) alertRollback(ctx context.Context, t alertmanager.Target, log *slog.Logger) error {
	gh, err := s.clients.forRepo(ctx, t.Owner, t.Repo)
	if err != nil {
		return err
	}
	return s.rollout.RollbackForAlert(ctx, gh, rollout.AlertRollback{Owner: t.Owner, Repo: t.Repo, Flag: t.Flag,
		AlertName: t.AlertName, Summary: t.Summary}, log)
}

// forRepo returns the client of the App's installation on owner/repo, found
// through the App API (GET /repos/{owner}/{repo}/installation, as the App).
func (c *clients) forRepo(ctx context.Context, owner, repo string) (*github.Client, error) {
	inst, _, err := c.app.AsApp().Apps.FindRepositoryInstallation(ctx, owner, repo)
	if err != nil {
		return nil, fmt.Errorf("find the App's installation on %s/%s: %w", owner, repo, err)
	}
	return c.forInstallation(inst.GetID())
}
