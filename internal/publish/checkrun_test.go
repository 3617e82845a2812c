package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type checkRunBody struct {
	Name       string  `json:"name"`
	HeadSHA    string  `json:"head_sha"`
	Status     *string `json:"status"`
	Conclusion *string `json:"conclusion"`
	Output     *struct {
		Title       string `json:"title"`
		Summary     string `json:"summary"`
		Annotations []struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
			Level     string `json:"annotation_level"`
			Title     string `json:"title"`
			Message   string `json:"message"`
		} `json:"annotations"`
	} `json:"output"`
}

func checkRunRoutes(createStatus int) map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"POST /repos/o/r/check-runs": func(w http.ResponseWriter, r *http.Request) {
			if createStatus != http.StatusCreated {
				writeJSON(w, createStatus, map[string]string{"message": "Resource not accessible by integration"})
				return
			}
			writeJSON(w, http.StatusCreated, map[string]any{"id": 42, "name": "promptgate", "status": "in_progress"})
		},
		"PATCH /repos/o/r/check-runs/42": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, map[string]any{"id": 42})
		},
	}
}

func annotations(n int) []Annotation {
	out := make([]Annotation, n)
	for i := range out {
		out[i] = Annotation{Path: fmt.Sprintf("evals/s%03d.yaml", i), Line: i + 1, Level: LevelFailure,
			Title: "regression", Message: fmt.Sprintf("case %d fails", i)}
	}
	return out
}

func TestCheckRunStartAndPublishBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		annotations int
		wantBatches []int
	}{
		{0, []int{0}},
		{1, []int{1}},
		{50, []int{50}},
		{51, []int{50, 1}},
		{120, []int{50, 50, 20}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.annotations), func(t *testing.T) {
			t.Parallel()
			fake, client := newFakeGitHub(t, checkRunRoutes(http.StatusCreated))
			cr := NewCheckRun(client, "o", "r", "abc123")
			cr.Now = func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) }
			ctx := context.Background()
			if err := cr.Start(ctx); err != nil {
				t.Fatalf("Start: %v", err)
			}
			want := annotations(tt.annotations)
			o := Outcome{Title: "promptgate: 2 regressions", Summary: "## table", Conclusion: "failure", Annotations: want}
			if err := cr.Publish(ctx, o); err != nil {
				t.Fatalf("Publish: %v", err)
			}

			reqs := fake.requests()
			if len(reqs) != 1+len(tt.wantBatches) {
				t.Fatalf("got %d requests, want 1 create + %d updates", len(reqs), len(tt.wantBatches))
			}
			var create checkRunBody
			if reqs[0].Method != http.MethodPost || reqs[0].Path != "/repos/o/r/check-runs" {
				t.Fatalf("first request = %s %s, want the create", reqs[0].Method, reqs[0].Path)
			}
			reqs[0].Decode(t, &create)
			if create.Name != "promptgate" || create.HeadSHA != "abc123" || create.Status == nil || *create.Status != "in_progress" {
				t.Errorf("create body = %+v, want promptgate on abc123 in_progress", create)
			}
			var got []Annotation
			var sizes []int
			for i, req := range reqs[1:] {
				var b checkRunBody
				req.Decode(t, &b)
				last := i == len(tt.wantBatches)-1
				if b.Name != "promptgate" || b.Output == nil || b.Output.Title != o.Title || b.Output.Summary != o.Summary {
					t.Errorf("update %d: body %+v lacks name, title or summary", i, b)
					continue
				}
				if last != (b.Conclusion != nil) || (last && (*b.Conclusion != "failure" || b.Status == nil || *b.Status != "completed")) {
					t.Errorf("update %d: status %v conclusion %v; want completed/failure only on the last", i, b.Status, b.Conclusion)
				}
				if len(b.Output.Annotations) > MaxAnnotationsPerRequest {
					t.Errorf("update %d carries %d annotations, over %d", i, len(b.Output.Annotations), MaxAnnotationsPerRequest)
				}
				sizes = append(sizes, len(b.Output.Annotations))
				for _, a := range b.Output.Annotations {
					if a.StartLine != a.EndLine {
						t.Errorf("annotation %+v spans lines", a)
					}
					got = append(got, Annotation{Path: a.Path, Line: a.StartLine, Level: a.Level, Title: a.Title, Message: a.Message})
				}
			}
			if diff := cmp.Diff(tt.wantBatches, sizes); diff != "" {
				t.Errorf("batch sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("delivered annotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckRunForbiddenFallsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		status        int
		wantForbidden bool
	}{
		{"403 is forbidden", http.StatusForbidden, true},
		{"404 falls back like 403", http.StatusNotFound, true},
		{"500 is not", http.StatusInternalServerError, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, client := newFakeGitHub(t, checkRunRoutes(tt.status))
			cr := NewCheckRun(client, "o", "r", "abc123")
			err := cr.Start(context.Background())
			if err == nil {
				t.Fatal("Start succeeded, want an error")
			}
			if errors.Is(err, ErrForbidden) != tt.wantForbidden {
				t.Errorf("errors.Is(%v, ErrForbidden) = %v, want %v", err, !tt.wantForbidden, tt.wantForbidden)
			}
			// Publish without a started run creates it first, with the same verdict.
			err = cr.Publish(context.Background(), Outcome{Title: "t", Summary: "s", Conclusion: "success"})
			if err == nil || errors.Is(err, ErrForbidden) != tt.wantForbidden {
				t.Errorf("Publish error = %v, want forbidden %v", err, tt.wantForbidden)
			}
		})
	}
}
