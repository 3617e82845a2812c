package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func jsonDecode(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestStepSummaryAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary.md")
	s := NewStepSummary(envOf(map[string]string{"GITHUB_STEP_SUMMARY": path}))
	for _, md := range []string{"## first", "## second"} {
		if err := s.Publish(context.Background(), Outcome{Summary: md}); err != nil {
			t.Fatalf("Publish: %v", err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := "## first\n## second\n"; string(got) != want {
		t.Errorf("summary file = %q, want %q", got, want)
	}
	if err := NewStepSummary(envOf(nil)).Publish(context.Background(), Outcome{Summary: "x"}); err == nil {
		t.Error("Publish without GITHUB_STEP_SUMMARY succeeded, want an error")
	}
	bad := NewStepSummary(envOf(map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "missing", "dir", "f")}))
	if err := bad.Publish(context.Background(), Outcome{Summary: "x"}); err == nil {
		t.Error("Publish to an unwritable path succeeded, want an error (not a panic)")
	}
}

func TestWorkflowAnnotationsEscape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ann  Annotation
		want string
	}{
		{"failure", Annotation{Path: "evals/s.yaml", Line: 12, Level: LevelFailure, Title: "regression", Message: "fails"},
			"::error file=evals/s.yaml,line=12,title=regression::fails\n"},
		{"escapes data and properties", Annotation{Path: "evals/a,b:c.yaml", Line: 0, Level: LevelWarning, Title: "cost: +20%, over",
			Message: "line one\nline two 100%\r"},
			"::warning file=evals/a%2Cb%3Ac.yaml,line=1,title=cost%3A +20%25%2C over::line one%0Aline two 100%25%0D\n"},
		{"notice without file", Annotation{Level: LevelNotice, Title: "t", Message: "::set-output name=x::y"},
			"::notice title=t::::set-output name=x::y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := NewWorkflowAnnotations(&b).Publish(context.Background(), Outcome{Annotations: []Annotation{tt.ann}}); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWorkflowAnnotationsMax(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w := NewWorkflowAnnotations(&b)
	w.Max = 2
	if err := w.Publish(context.Background(), Outcome{Annotations: annotations(5)}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || lines[2] != "::notice::3 more promptgate annotations are in the check summary" {
		t.Errorf("lines = %q, want 2 annotations and a notice", lines)
	}
}

// parseOutputs reads a $GITHUB_OUTPUT file written with heredoc delimiters.
func parseOutputs(t *testing.T, data string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(data, "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestWriteOutputs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	o := Outputs{Conclusion: "failure", ReportJSON: "/tmp/promptgate-report.json", CostDeltaMonthly: "412.50", Regressions: 2}
	if err := WriteOutputs(envOf(map[string]string{"GITHUB_OUTPUT": path}), o); err != nil {
		t.Fatalf("WriteOutputs: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"conclusion": "failure", "report-json": "/tmp/promptgate-report.json",
		"cost-delta-monthly": "412.50", "regressions": "2"}
	if diff := cmp.Diff(want, parseOutputs(t, string(data))); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
	if err := WriteOutputs(envOf(nil), o); err == nil {
		t.Error("WriteOutputs without GITHUB_OUTPUT succeeded, want an error")
	}
}

type recordSink struct {
	got []Outcome
	err error
}

func (r *recordSink) Publish(_ context.Context, o Outcome) error {
	r.got = append(r.got, o)
	return r.err
}

func TestMultiFansOutPastErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	a, b := &recordSink{err: boom}, &recordSink{}
	err := Multi{a, nil, b}.Publish(context.Background(), Outcome{Title: "t"})
	if !errors.Is(err, boom) {
		t.Errorf("Multi error = %v, want boom", err)
	}
	if len(a.got) != 1 || len(b.got) != 1 {
		t.Errorf("sinks called %d and %d times, want 1 each", len(a.got), len(b.got))
	}
}
