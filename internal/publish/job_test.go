package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// jobRoutes is a Checks API whose create and update answer with the given
// statuses.
func jobRoutes(createStatus, updateStatus int) map[string]http.HandlerFunc {
	refuse := map[string]string{"message": "Resource not accessible by integration"}
	return map[string]http.HandlerFunc{
		"POST /repos/o/r/check-runs": func(w http.ResponseWriter, r *http.Request) {
			if createStatus != http.StatusCreated {
				writeJSON(w, createStatus, refuse)
				return
			}
			writeJSON(w, http.StatusCreated, map[string]any{"id": 42, "name": "promptgate", "status": "in_progress"})
		},
		"PATCH /repos/o/r/check-runs/42": func(w http.ResponseWriter, r *http.Request) {
			if updateStatus != http.StatusOK {
				writeJSON(w, updateStatus, refuse)
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"id": 42})
		},
	}
}

func TestJobSequencesAndFallsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		noRun                  bool
		headSHA                string
		create, update         int
		summaryErr, commentErr error
		wantStartErr, wantErr  string // substrings; "" means none
		wantRequests           []string
		wantAnnotations        bool
		wantWarnings           []string // substrings, in order
	}{
		{name: "check run completes", headSHA: "abc", create: 201, update: 200,
			wantRequests: []string{"POST /repos/o/r/check-runs", "PATCH /repos/o/r/check-runs/42"}},
		{name: "create 403 falls back to annotations", headSHA: "abc", create: 403,
			wantRequests: []string{"POST /repos/o/r/check-runs"}, wantAnnotations: true,
			wantWarnings: []string{"cannot create check runs"}},
		{name: "create 404 falls back like 403", headSHA: "abc", create: 404,
			wantRequests: []string{"POST /repos/o/r/check-runs"}, wantAnnotations: true,
			wantWarnings: []string{"cannot create check runs"}},
		{name: "update 403 falls back to annotations", headSHA: "abc", create: 201, update: 403,
			wantRequests:    []string{"POST /repos/o/r/check-runs", "PATCH /repos/o/r/check-runs/42"},
			wantAnnotations: true, wantWarnings: []string{"cannot complete its check run"}},
		{name: "create 500 is an error", headSHA: "abc", create: 500,
			wantRequests: []string{"POST /repos/o/r/check-runs"}, wantStartErr: "create check run"},
		{name: "update 500 is an error", headSHA: "abc", create: 201, update: 500,
			wantRequests: []string{"POST /repos/o/r/check-runs", "PATCH /repos/o/r/check-runs/42"}, wantErr: "publish results"},
		{name: "no token: annotations", noRun: true, headSHA: "abc", wantAnnotations: true},
		{name: "no head commit: annotations", headSHA: "", wantAnnotations: true},
		{name: "summary failure fails", headSHA: "abc", create: 201, summaryErr: errors.New("disk full"),
			wantRequests: []string{"POST /repos/o/r/check-runs"}, wantErr: "publish results: disk full"},
		{name: "forbidden comment only warns", headSHA: "abc", create: 201, update: 200,
			commentErr:   fmt.Errorf("create sticky comment on #7: %w", ErrForbidden),
			wantRequests: []string{"POST /repos/o/r/check-runs", "PATCH /repos/o/r/check-runs/42"},
			wantWarnings: []string{"a fork pull request's token is read-only"}},
		{name: "failed comment only warns", noRun: true, headSHA: "abc", commentErr: errors.New("boom"),
			wantAnnotations: true, wantWarnings: []string{"could not post its sticky comment: boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake, client := newFakeGitHub(t, jobRoutes(tt.create, tt.update))
			summary, anns, comment := &recordSink{err: tt.summaryErr}, &recordSink{}, &recordSink{err: tt.commentErr}
			var warnings []string
			job := &Job{Summary: summary, Annotations: anns, Comment: comment,
				Warnf: func(format string, args ...any) { warnings = append(warnings, fmt.Sprintf(format, args...)) }}
			if !tt.noRun {
				job.Run = NewCheckRun(client, "o", "r", "")
			}
			o := Outcome{Title: "t", Summary: "s", Conclusion: "success"}
			err := job.Start(context.Background(), tt.headSHA)
			if err == nil {
				err = job.Publish(context.Background(), o)
			} else if tt.wantStartErr == "" || !strings.Contains(err.Error(), tt.wantStartErr) {
				t.Errorf("Start error = %v, want %q", err, tt.wantStartErr)
			}
			if tt.wantStartErr == "" {
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Errorf("Publish error = %v, want %q", err, tt.wantErr)
				}
			}
			var got []string
			for _, r := range fake.requests() {
				got = append(got, r.Method+" "+r.Path)
			}
			if diff := cmp.Diff(tt.wantRequests, got); diff != "" {
				t.Errorf("GitHub requests (-want +got):\n%s", diff)
			}
			published := tt.wantStartErr == ""
			if published != (len(summary.got) == 1) {
				t.Errorf("job summary got %d outcomes, want published %v", len(summary.got), published)
			}
			if n := len(anns.got); (n == 1) != tt.wantAnnotations {
				t.Errorf("annotations got %d outcomes, want %v", n, tt.wantAnnotations)
			}
			if n, want := len(comment.got), published && tt.summaryErr == nil && tt.wantErr == ""; (n == 1) != want {
				t.Errorf("comment got %d outcomes, want %v", n, want)
			}
			if len(warnings) != len(tt.wantWarnings) {
				t.Fatalf("warnings %q, want %d matching %q", warnings, len(tt.wantWarnings), tt.wantWarnings)
			}
			for i, w := range tt.wantWarnings {
				if !strings.Contains(warnings[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warnings[i], w)
				}
			}
		})
	}
}

func TestJobAbandonCompletesStartedRun(t *testing.T) {
	t.Parallel()
	fake, client := newFakeGitHub(t, jobRoutes(http.StatusCreated, http.StatusOK))
	job := &Job{Run: NewCheckRun(client, "o", "r", "")}
	cause := errors.New("fetch base: no such commit")
	if err := job.Abandon(context.Background(), cause); err != nil || len(fake.requests()) != 0 {
		t.Fatalf("Abandon before Start: error %v, %d requests; want neither", err, len(fake.requests()))
	}
	if err := job.Start(context.Background(), "abc"); err != nil {
		t.Fatal(err)
	}
	if err := job.Abandon(context.Background(), cause); err != nil {
		t.Fatal(err)
	}
	reqs := fake.requests()
	if len(reqs) != 2 || reqs[1].Method != http.MethodPatch {
		t.Fatalf("requests %+v, want a create and an update", reqs)
	}
	var b checkRunBody
	reqs[1].Decode(t, &b)
	if b.Conclusion == nil || *b.Conclusion != "failure" || b.Output == nil ||
		b.Output.Title != "promptgate: could not compare base and head" || !strings.Contains(b.Output.Summary, cause.Error()) {
		t.Errorf("abandoning update %+v: want conclusion failure, the title and the cause", b)
	}
}
