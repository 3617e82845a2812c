package publish

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/projection"
)

// DefaultHistoryApp is the slug of the app behind the Actions GITHUB_TOKEN,
// which makes the Action's check runs.
const DefaultHistoryApp = "github-actions"

// History reads the per-prompt records of the newest n completed promptgate
// check runs on branch, oldest first, through the Commits and Checks APIs:
// one call lists the branch's newest commits (at most 2n, so a branch where
// not every push ran the check still yields points) and one call per commit
// lists its promptgate check runs, newest commit first, until n records are
// found. A check run without a record (an older promptgate, a summary cut
// short), or made by any app other than appSlug (the app whose token
// publishes promptgate's runs, DefaultHistoryApp for the Action), is passed
// over: anyone who can create a check run named promptgate could otherwise
// plant points. The caller degrades quietly on error: trends are never needed
// for a verdict.
func History(ctx context.Context, client *github.Client, owner, repo, branch, appSlug string, n int) ([]verdict.Recorded, error) {
	if n <= 0 || branch == "" {
		return nil, nil
	}
	commits, _, err := client.Repositories.ListCommits(ctx, owner, repo, &github.CommitsListOptions{SHA: branch,
		ListOptions: github.ListOptions{PerPage: min(2*n, 100)}})
	if err != nil {
		return nil, fmt.Errorf("list commits on %s: %w", branch, classify(err))
	}
	var out []verdict.Recorded
	name := config.DefaultCheckName
	for _, c := range commits {
		if len(out) == n {
			break
		}
		sha := c.GetSHA()
		if sha == "" {
			continue
		}
		runs, _, err := client.Checks.ListCheckRunsForRef(ctx, owner, repo, sha, &github.ListCheckRunsOptions{
			CheckName: &name, Status: github.String("completed"), Filter: github.String("latest"),
			ListOptions: github.ListOptions{PerPage: 10}})
		if err != nil {
			return nil, fmt.Errorf("list check runs of %s: %w", sha, classify(err))
		}
		for _, r := range runs.CheckRuns {
			if r.GetName() != config.DefaultCheckName || r.GetHeadSHA() != sha || r.Output == nil || r.GetApp().GetSlug() != appSlug {
				continue
			}
			p, ok := projection.Extract(r.Output.GetSummary())
			if !ok || len(p.Prompts) == 0 {
				continue
			}
			out = append(out, verdict.Recorded{SHA: sha, Prompts: p.Prompts})
			break
		}
	}
	slices.Reverse(out)
	return out, nil
}
