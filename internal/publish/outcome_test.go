package publish

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/action/verdict/verdicttest"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/report"
)

// suiteWith builds a finished suite of one prompt with the given case statuses
// (case i at line 5+3i).
func suiteWith(name string, threshold float64, statuses ...eval.Status) *eval.SuiteResult {
	s := &eval.SuiteResult{Path: "evals/" + name + ".yaml", Prompt: name, Model: "m", Threshold: threshold}
	for i, st := range statuses {
		s.Cases = append(s.Cases, eval.CaseResult{Index: i, Description: fmt.Sprintf("case %d", i), Line: 5 + 3*i,
			Status: st, Output: strings.Repeat("long output ", 300), Reason: "expected a refund"})
		switch st {
		case eval.StatusPass:
			s.Passed++
		case eval.StatusFail:
			s.Failed++
		}
	}
	return s
}

func TestAnnotationsFromResult(t *testing.T) {
	t.Parallel()
	cfg, err := config.Parse([]byte("gate: {fail_on_threshold: false}\n"), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in := verdict.Input{
		Base: verdict.Side{Report: &eval.Report{Suites: []*eval.SuiteResult{suiteWith("summarize", 0.9, eval.StatusPass, eval.StatusPass)}}, Config: cfg},
		Head: verdict.Side{Report: &eval.Report{Suites: []*eval.SuiteResult{suiteWith("summarize", 0.9, eval.StatusPass, eval.StatusFail)}}, Config: cfg},
	}
	verdicttest.Confirm(&in, cfg.Gate.MaxResample)
	r := verdict.Compute(in)
	got := Annotations(r)
	for i := range got {
		got[i].Message = got[i].Message[:min(len(got[i].Message), 60)]
	}
	want := []Annotation{
		{Path: "evals/summarize.yaml", Line: 8, Level: LevelFailure, Title: "promptgate regression: summarize · case 1",
			Message: "Regressed: passed 11/11 samples at base, 0/11 at head.\nExpec"},
		{Path: "evals/summarize.yaml", Line: 1, Level: LevelWarning, Title: "promptgate gate: threshold",
			Message: "summarize (evals/summarize.yaml): pass rate 50.0% (95% CI 0."},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Annotations (-want +got):\n%s", diff)
	}
}

// TestBigPRPublishesEveryAnnotation is the "120 changed prompts" case: one check
// run, every regression annotated across batches of 50, summary under the limit.
func TestBigPRPublishesEveryAnnotation(t *testing.T) {
	t.Parallel()
	base, head := &eval.Report{}, &eval.Report{}
	for i := range 120 {
		name := fmt.Sprintf("p%03d", i)
		base.Suites = append(base.Suites, suiteWith(name, 0, eval.StatusPass, eval.StatusPass))
		head.Suites = append(head.Suites, suiteWith(name, 0, eval.StatusFail, eval.StatusPass))
	}
	in := verdict.Input{Base: verdict.Side{Report: base}, Head: verdict.Side{Report: head}}
	verdicttest.Confirm(&in, 1000)
	r := verdict.Compute(in)
	o, err := NewOutcome(r, report.DiffOptions{FullReportHint: "full report: artifact promptgate-report.json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Summary) > report.GitHubSummaryLimit || o.Conclusion != verdict.ConclusionFailure || len(o.Annotations) != 120 {
		t.Fatalf("outcome: %d-byte summary, conclusion %s, %d annotations", len(o.Summary), o.Conclusion, len(o.Annotations))
	}

	fake, client := newFakeGitHub(t, checkRunRoutes(http.StatusCreated))
	cr := NewCheckRun(client, "o", "r", "headsha")
	if err := cr.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := cr.Publish(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	creates := 0
	for _, req := range fake.requests() {
		if req.Method == http.MethodPost {
			creates++
			continue
		}
		var b checkRunBody
		req.Decode(t, &b)
		for _, a := range b.Output.Annotations {
			seen[fmt.Sprintf("%s:%d", a.Path, a.StartLine)] = true
		}
	}
	if creates != 1 || len(seen) != 120 {
		t.Errorf("%d check runs created, %d distinct annotations delivered; want 1 and 120", creates, len(seen))
	}
}

func TestOutputsFor(t *testing.T) {
	t.Parallel()
	known := verdict.Result{Conclusion: "success", BaseMonthly: 100, HeadMonthly: 512.5}
	unknown := verdict.Result{Conclusion: "neutral", UnknownCost: []string{"summarize"}}
	tests := []struct {
		name string
		r    verdict.Result
		want Outputs
	}{
		{"known", known, Outputs{Conclusion: "success", ReportJSON: "r.json", CostDeltaMonthly: "412.50"}},
		{"unknown", unknown, Outputs{Conclusion: "neutral", ReportJSON: "r.json", CostDeltaMonthly: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, OutputsFor(tt.r, "r.json")); diff != "" {
				t.Errorf("OutputsFor (-want +got):\n%s", diff)
			}
		})
	}
}
