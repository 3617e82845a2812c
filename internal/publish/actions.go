package publish

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/sethvargo/go-githubactions"

	"github.com/promptgate/promptgate/internal/action/verdict"
)

// StepSummary appends the outcome's markdown to the job summary
// ($GITHUB_STEP_SUMMARY), read through the injected getenv.
type StepSummary struct {
	action *githubactions.Action
	getenv func(string) string
}

// NewStepSummary returns a job-summary sink that reads its environment from getenv.
func NewStepSummary(getenv func(string) string) *StepSummary {
	return &StepSummary{action: githubactions.New(githubactions.WithGetenv(getenv)), getenv: getenv}
}

// Publish appends o.Summary (and o.Text, when set) to the job summary.
func (s *StepSummary) Publish(_ context.Context, o Outcome) error {
	if s.getenv("GITHUB_STEP_SUMMARY") == "" {
		return fmt.Errorf("write job summary: GITHUB_STEP_SUMMARY is not set")
	}
	md := o.Summary
	if o.Text != "" {
		md += "\n" + o.Text
	}
	return guard("write job summary", func() { s.action.AddStepSummary(md) })
}

// WorkflowAnnotations prints each annotation as a workflow command
// (`::error file=…,line=…,title=…::message`), which the runner turns into
// annotations without any token permission: the fallback for fork PRs.
// go-githubactions escapes properties and data per the workflow-command rules.
type WorkflowAnnotations struct {
	action *githubactions.Action
	// Max bounds how many are printed (GitHub shows 10 errors and 10 warnings per
	// step anyway); 0 means all.
	Max int
}

// NewWorkflowAnnotations returns a sink writing workflow commands to w.
func NewWorkflowAnnotations(w io.Writer) *WorkflowAnnotations {
	return &WorkflowAnnotations{action: githubactions.New(githubactions.WithWriter(w), githubactions.WithGetenv(func(string) string { return "" }))}
}

// Publish prints one workflow command per annotation.
func (a *WorkflowAnnotations) Publish(_ context.Context, o Outcome) error {
	return guard("write workflow annotations", func() {
		for i, ann := range o.Annotations {
			if a.Max > 0 && i >= a.Max {
				a.action.Noticef("%d more promptgate annotations are in the check summary", len(o.Annotations)-a.Max)
				return
			}
			ann = clean(ann)
			fields := map[string]string{"title": ann.Title}
			if ann.Path != "" {
				fields["file"] = ann.Path
				fields["line"] = strconv.Itoa(ann.Line)
			}
			act := a.action.WithFieldsMap(fields)
			switch ann.Level {
			case LevelFailure:
				act.Errorf("%s", ann.Message)
			case LevelNotice:
				act.Noticef("%s", ann.Message)
			default:
				act.Warningf("%s", ann.Message)
			}
		}
	})
}

// Outputs are the Action's step outputs.
type Outputs struct {
	Conclusion string
	// ReportJSON is the path of the full report JSON file.
	ReportJSON string
	// CostDeltaMonthly is the head − base projected monthly USD ("12.50",
	// "-3.00"), or "unknown" when a side could not be priced.
	CostDeltaMonthly string
	// Regressions counts newly failing case runs.
	Regressions int
}

// OutputsFor derives the step outputs from a diff result.
func OutputsFor(r verdict.Result, reportJSON string) Outputs {
	delta := "unknown"
	if r.CostComparable() {
		delta = strconv.FormatFloat(r.MonthlyDelta(), 'f', 2, 64)
	}
	return Outputs{Conclusion: r.Conclusion, ReportJSON: reportJSON, CostDeltaMonthly: delta, Regressions: r.Regressions()}
}

// WriteOutputs sets the outputs `conclusion`, `report-json`,
// `cost-delta-monthly` and `regressions` through $GITHUB_OUTPUT, read via getenv.
func WriteOutputs(getenv func(string) string, o Outputs) error {
	if getenv("GITHUB_OUTPUT") == "" {
		return fmt.Errorf("set action outputs: GITHUB_OUTPUT is not set")
	}
	a := githubactions.New(githubactions.WithGetenv(getenv))
	return guard("set action outputs", func() {
		a.SetOutput("conclusion", o.Conclusion)
		a.SetOutput("report-json", o.ReportJSON)
		a.SetOutput("cost-delta-monthly", o.CostDeltaMonthly)
		a.SetOutput("regressions", strconv.Itoa(o.Regressions))
	})
}

// guard turns go-githubactions' panics on I/O failure into errors, since library
// code must not crash the check.
func guard(op string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %v", op, r)
		}
	}()
	f()
	return nil
}
