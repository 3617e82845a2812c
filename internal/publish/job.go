package publish

import (
	"context"
	"errors"
	"fmt"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Job publishes one check's outcome from a GitHub Actions job, in order: the
// job summary; the check run, or, when there is none or the token may not
// write it (a 403 or 404 from the Checks API), workflow-command annotations
// instead, as reviewdog's fallbackToLog does; then the sticky comment, whose
// failure only warns, since the verdict is already in the check run or the
// job summary.
type Job struct {
	// Summary is the job summary; a failure to write it fails Publish.
	Summary Sink
	// Run is the check run, its HeadSHA set by Start; nil means none (no
	// token).
	Run *CheckRun
	// Annotations is the fallback for the check run.
	Annotations Sink
	// Comment is the sticky PR comment; nil means none.
	Comment Sink
	// Warnf receives each fallback taken (a workflow-command warning in the
	// Action); nil discards them.
	Warnf func(format string, args ...any)

	started, forbidden bool
}

var _ Sink = (*Job)(nil)

func (j *Job) warnf(format string, args ...any) {
	if j.Warnf != nil {
		j.Warnf(format, args...)
	}
}

// Start creates the check run in_progress on headSHA, before the evaluation.
// Without a check run or a head commit it does nothing, and the outcome goes
// to annotations. A token that may not create check runs is a fallback, not
// an error.
func (j *Job) Start(ctx context.Context, headSHA string) error {
	if j.Run == nil || headSHA == "" || j.forbidden || j.started {
		return nil
	}
	j.Run.HeadSHA = headSHA
	if err := j.Run.Start(ctx); err != nil {
		if !errors.Is(err, ErrForbidden) {
			return fmt.Errorf("create check run: %w", err)
		}
		j.warnf("promptgate cannot create check runs with this token (%v); results go to the job summary and annotations instead", err)
		j.forbidden = true
		return nil
	}
	j.started = true
	return nil
}

// Abandon completes a started check run when the comparison itself failed (a
// base commit that cannot be fetched, an unreadable repository), so it does
// not stay "in progress" on the PR forever. Without a started run it does
// nothing.
func (j *Job) Abandon(ctx context.Context, cause error) error {
	if !j.started {
		return nil
	}
	o := Outcome{
		Title:      "promptgate: could not compare base and head",
		Summary:    "promptgate check stopped before it could compare base and head:\n\n" + mdsafe.Block(cause.Error()) + "\n\nSee the workflow run's log for details.\n",
		Conclusion: verdict.ConclusionFailure,
	}
	return j.Run.Publish(ctx, o)
}

// Publish writes o to the job summary, completes the started check run (or
// prints annotations instead) and posts the sticky comment.
func (j *Job) Publish(ctx context.Context, o Outcome) error {
	if err := j.Summary.Publish(ctx, o); err != nil {
		return fmt.Errorf("publish results: %w", err)
	}
	annotations := !j.started
	if j.started {
		if err := j.Run.Publish(ctx, o); err != nil {
			if !errors.Is(err, ErrForbidden) {
				return fmt.Errorf("publish results: %w", err)
			}
			j.warnf("promptgate cannot complete its check run with this token (%v); results go to the job summary and annotations instead", err)
			annotations = true
		}
	}
	if annotations {
		if err := j.Annotations.Publish(ctx, o); err != nil {
			return fmt.Errorf("publish annotations: %w", err)
		}
	}
	if j.Comment != nil {
		if err := j.Comment.Publish(ctx, o); err != nil {
			why := ""
			if errors.Is(err, ErrForbidden) {
				why = " (a fork pull request's token is read-only; the sticky comment needs `pull-requests: write`)"
			}
			j.warnf("promptgate could not post its sticky comment%s: %v; the results are in the job summary", why, err)
		}
	}
	return nil
}
