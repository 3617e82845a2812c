// Package publish sends a check's outcome where people see it: a GitHub check
// run, the job summary, workflow-command annotations, a sticky PR comment and the
// Action's outputs. Every destination is a Sink, in the manner of reviewdog's
// CommentService: Multi fans out to several, and Job sequences one check's
// outputs in the Action, falling back from the check run to annotations when
// the token may not write checks.
package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/report"
)

// Annotation levels, as the Checks API spells them.
const (
	LevelFailure = "failure"
	LevelWarning = "warning"
	LevelNotice  = "notice"
)

// Annotation points at a file and line of the user's repo.
type Annotation struct {
	Path    string
	Line    int
	Level   string
	Title   string
	Message string
}

// Outcome is one check's result, in the shape every sink understands.
type Outcome struct {
	Title      string
	Summary    string
	Text       string
	Conclusion string
	// Annotations may be many; sinks batch or cap them as their API requires.
	Annotations []Annotation
}

// Sink is a destination for an outcome.
type Sink interface {
	Publish(ctx context.Context, o Outcome) error
}

// Multi publishes to every sink in order. A failing sink does not stop the
// others; the errors are joined.
type Multi []Sink

// Publish fans o out to every sink.
func (m Multi) Publish(ctx context.Context, o Outcome) error {
	var errs []error
	for _, s := range m {
		if s == nil {
			continue
		}
		if err := s.Publish(ctx, o); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

var (
	_ Sink = Multi(nil)
	_ Sink = (*CheckRun)(nil)
	_ Sink = (*StepSummary)(nil)
	_ Sink = (*WorkflowAnnotations)(nil)
	_ Sink = (*StickyComment)(nil)
)

// Limits GitHub puts on annotation fields.
const (
	maxAnnotationTitle   = 255
	maxAnnotationMessage = 4000
)

// NewOutcome renders a diff result into an Outcome: DiffTitle as the title, the
// diff markdown as the summary, and annotations for each regression and each
// located gate finding.
func NewOutcome(r verdict.Result, o report.DiffOptions) (Outcome, error) {
	var b bytes.Buffer
	if err := report.WriteDiffMarkdown(&b, r, o); err != nil {
		return Outcome{}, fmt.Errorf("render check summary: %w", err)
	}
	return Outcome{Title: report.DiffTitle(r), Summary: b.String(), Conclusion: r.Conclusion, Annotations: Annotations(r)}, nil
}

// Annotations points at every newly failing case (at its line in the suite file)
// and at every other fired gate that has a location (a suite, or a key in
// promptgate.yaml). Enforced gates are failures; the rest are warnings.
func Annotations(r verdict.Result) []Annotation {
	var out []Annotation
	for _, p := range r.Prompts {
		for _, c := range p.NewlyFailing {
			s := c.UpFront.Total(c.Confirm)
			msg := fmt.Sprintf("Regressed: passed %d/%d samples at base, %d/%d at head.", s.BasePassed, s.Base, s.HeadPassed, s.Head)
			if c.Reason != "" {
				msg += "\nExpected: " + c.Reason
			}
			if c.HeadOutput != "" {
				msg += "\nHead output: " + c.HeadOutput
			}
			name := c.Description
			out = append(out, clean(Annotation{Path: c.SuitePath, Line: c.Line, Level: regressionLevel(r),
				Title: "promptgate regression: " + c.Suite + " · " + name, Message: msg}))
		}
	}
	for _, g := range r.Fired() {
		if g.Name == verdict.GateRegression || g.File == "" {
			continue
		}
		level := LevelWarning
		if g.Enforced {
			level = LevelFailure
		}
		out = append(out, clean(Annotation{Path: g.File, Line: g.Line, Level: level,
			Title: "promptgate gate: " + g.Name, Message: g.Detail}))
	}
	return out
}

// regressionLevel is failure when the regression gate is enforced, else warning.
func regressionLevel(r verdict.Result) string {
	for _, g := range r.Gates {
		if g.Name == verdict.GateRegression && g.Fired && g.Enforced {
			return LevelFailure
		}
	}
	return LevelWarning
}

// clean fits an annotation to GitHub's rules: a line of at least 1, a known
// level, and bounded title and message.
func clean(a Annotation) Annotation {
	a.Line = max(a.Line, 1)
	switch a.Level {
	case LevelFailure, LevelWarning, LevelNotice:
	default:
		a.Level = LevelWarning
	}
	a.Title = mdsafe.Truncate(strings.Join(strings.Fields(a.Title), " "), maxAnnotationTitle-3)
	a.Message = mdsafe.Truncate(a.Message, maxAnnotationMessage)
	return a
}
