package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/report"
)

// MaxAnnotationsPerRequest is the Checks API's cap on annotations in one request.
const MaxAnnotationsPerRequest = 50

// ErrForbidden means the token may not write there: GitHub answered 403 (a
// fork PR's read-only GITHUB_TOKEN, or a workflow without `checks: write` or
// `pull-requests: write`) or 404 (what it answers when the token cannot see
// the resource at all). Callers fall back to the job summary and
// workflow-command annotations.
var ErrForbidden = errors.New("forbidden: the token cannot write here (fork PR, or missing `checks: write` / `pull-requests: write`)")

// CheckRun publishes to a check run on the head commit: Start creates it
// in_progress, and Publish completes it with the outcome, sending annotations in
// batches of at most 50 (GitHub appends each update's annotations to the run's).
type CheckRun struct {
	Client  *github.Client
	Owner   string
	Repo    string
	HeadSHA string
	// Name defaults to config.DefaultCheckName, the name the GitHub App looks for.
	Name string
	// DetailsURL links the check to the workflow run, when set.
	DetailsURL string
	// ID is set by Start (or by Publish when it had to create the run).
	ID int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// NewCheckRun returns a check-run sink for owner/repo at headSHA.
func NewCheckRun(client *github.Client, owner, repo, headSHA string) *CheckRun {
	return &CheckRun{Client: client, Owner: owner, Repo: repo, HeadSHA: headSHA, Name: config.DefaultCheckName}
}

func (c *CheckRun) name() string {
	if c.Name == "" {
		return config.DefaultCheckName
	}
	return c.Name
}

func (c *CheckRun) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Start creates the check run in_progress. A 403 or 404 yields an error
// matching ErrForbidden.
func (c *CheckRun) Start(ctx context.Context) error {
	opts := github.CreateCheckRunOptions{Name: c.name(), HeadSHA: c.HeadSHA,
		Status: github.String("in_progress"), StartedAt: &github.Timestamp{Time: c.now()}}
	if c.DetailsURL != "" {
		opts.DetailsURL = github.String(c.DetailsURL)
	}
	run, _, err := c.Client.Checks.CreateCheckRun(ctx, c.Owner, c.Repo, opts)
	if err != nil {
		return fmt.Errorf("create check run: %w", classify(err))
	}
	c.ID = run.GetID()
	return nil
}

// Publish completes the check run with o. Annotations beyond the first 50 go in
// further updates before the completing one, so the run is only seen completed
// once every annotation is attached. Without Start, the run is created first.
func (c *CheckRun) Publish(ctx context.Context, o Outcome) error {
	if c.ID == 0 {
		if err := c.Start(ctx); err != nil {
			return err
		}
	}
	batches := batch(o.Annotations, MaxAnnotationsPerRequest)
	output := func(anns []Annotation) *github.CheckRunOutput {
		out := &github.CheckRunOutput{Title: github.String(mdsafe.Truncate(o.Title, maxAnnotationTitle-3)),
			Summary: github.String(limitSummary(o.Summary))}
		if o.Text != "" {
			out.Text = github.String(limitSummary(o.Text))
		}
		for _, a := range anns {
			a = clean(a)
			out.Annotations = append(out.Annotations, &github.CheckRunAnnotation{
				Path: github.String(a.Path), StartLine: github.Int(a.Line), EndLine: github.Int(a.Line),
				AnnotationLevel: github.String(a.Level), Title: github.String(a.Title), Message: github.String(a.Message)})
		}
		return out
	}
	for i, anns := range batches {
		opts := github.UpdateCheckRunOptions{Name: c.name(), Output: output(anns)}
		if i == len(batches)-1 {
			opts.Status = github.String("completed")
			opts.Conclusion = github.String(o.Conclusion)
			opts.CompletedAt = &github.Timestamp{Time: c.now()}
		}
		if _, _, err := c.Client.Checks.UpdateCheckRun(ctx, c.Owner, c.Repo, c.ID, opts); err != nil {
			return fmt.Errorf("update check run %d (batch %d of %d): %w", c.ID, i+1, len(batches), classify(err))
		}
	}
	return nil
}

// batch splits annotations into groups of at most n; there is always at least
// one (possibly empty) group, which carries the conclusion.
func batch(anns []Annotation, n int) [][]Annotation {
	if len(anns) == 0 {
		return [][]Annotation{nil}
	}
	var out [][]Annotation
	for len(anns) > 0 {
		k := min(n, len(anns))
		out = append(out, anns[:k])
		anns = anns[k:]
	}
	return out
}

// limitSummary is a last guard for GitHub's 65,535-character cap; the renderer
// normally stays well under it.
func limitSummary(s string) string {
	if len(s) <= report.GitHubSummaryLimit {
		return s
	}
	return mdsafe.Truncate(s, report.GitHubSummaryLimit-16)
}

// classify turns a 403 from GitHub into ErrForbidden, keeping the original. A
// 404 counts too: GitHub answers 404, not 403, when a token cannot see the
// Checks API at all (a personal access token, which can never create check
// runs, or an App token without access to the repository).
func classify(err error) error {
	var ge *github.ErrorResponse
	if errors.As(err, &ge) && ge.Response != nil && (ge.Response.StatusCode == http.StatusForbidden || ge.Response.StatusCode == http.StatusNotFound) {
		return fmt.Errorf("%w: %w", ErrForbidden, err)
	}
	return err
}
