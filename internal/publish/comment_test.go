package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// commentStore is the fake's state: the PR's comments, across two pages.
type commentStore struct {
	mu       sync.Mutex
	comments []map[string]any
	nextID   int64
}

func (s *commentStore) routes(t *testing.T) map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /repos/o/r/issues/7/comments": func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			defer s.mu.Unlock()
			// Page 1 holds the first two comments and links to page 2.
			page := r.URL.Query().Get("page")
			if page == "" || page == "1" {
				w.Header().Set("Link", fmt.Sprintf(`<http://%s%s/repos/o/r/issues/7/comments?page=2&per_page=100>; rel="next"`, r.Host, ghesPrefix))
				writeJSON(w, http.StatusOK, s.comments[:min(2, len(s.comments))])
				return
			}
			writeJSON(w, http.StatusOK, s.comments[min(2, len(s.comments)):])
		},
		"POST /repos/o/r/issues/7/comments": func(w http.ResponseWriter, r *http.Request) {
			var in struct{ Body string }
			if err := jsonDecode(r, &in); err != nil {
				t.Errorf("create comment: %v", err)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			s.nextID++
			c := map[string]any{"id": s.nextID, "body": in.Body, "user": map[string]any{"login": "github-actions[bot]", "type": "Bot"}}
			s.comments = append(s.comments, c)
			writeJSON(w, http.StatusCreated, c)
		},
	}
}

func TestStickyCommentCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	store := &commentStore{nextID: 100, comments: []map[string]any{
		// A person quoting the marker must not be overwritten.
		{"id": 1, "body": DefaultStickyMarker + " copied by a human", "user": map[string]any{"login": "alice", "type": "User"}},
		{"id": 2, "body": "LGTM", "user": map[string]any{"login": "bob", "type": "User"}},
		{"id": 3, "body": "coverage report", "user": map[string]any{"login": "codecov[bot]", "type": "Bot"}},
	}}
	routes := store.routes(t)
	var edits []string
	routes["PATCH /repos/o/r/issues/comments/101"] = func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Body string }
		if err := jsonDecode(r, &in); err != nil {
			t.Errorf("edit comment: %v", err)
		}
		edits = append(edits, in.Body)
		writeJSON(w, http.StatusOK, map[string]any{"id": 101, "body": in.Body})
	}
	fake, client := newFakeGitHub(t, routes)
	s := NewStickyComment(client, "o", "r", 7)
	ctx := context.Background()

	if err := s.Publish(ctx, Outcome{Summary: "first run"}); err != nil {
		t.Fatalf("first Publish: %v", err)
	}
	if err := s.Publish(ctx, Outcome{Summary: "second run"}); err != nil {
		t.Fatalf("second Publish: %v", err)
	}

	var creates int
	for _, r := range fake.requests() {
		if r.Method == http.MethodPost {
			creates++
			var b struct{ Body string }
			r.Decode(t, &b)
			if b.Body != DefaultStickyMarker+"\nfirst run" {
				t.Errorf("created body = %q", b.Body)
			}
		}
	}
	if creates != 1 {
		t.Errorf("created %d comments, want 1", creates)
	}
	if len(edits) != 1 || edits[0] != DefaultStickyMarker+"\nsecond run" {
		t.Errorf("edits = %q, want one edit of comment 101 with the second run", edits)
	}
	pages := 0
	for _, r := range fake.requests() {
		if r.Method == http.MethodGet && strings.Contains(r.Query, "page=2") {
			pages++
		}
	}
	if pages != 2 {
		t.Errorf("followed the next-page link %d times, want 2 (once per Publish)", pages)
	}
}

// TestStickyCommentForbidden: a fork PR's read-only token is refused the
// comment list (403), or cannot see it (404); both are ErrForbidden, so the
// Action falls back as it does for the check run. A 500 is not.
func TestStickyCommentForbidden(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		status        int
		wantForbidden bool
	}{{http.StatusForbidden, true}, {http.StatusNotFound, true}, {http.StatusInternalServerError, false}} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			t.Parallel()
			_, client := newFakeGitHub(t, map[string]http.HandlerFunc{
				"GET /repos/o/r/issues/7/comments": func(w http.ResponseWriter, r *http.Request) {
					writeJSON(w, tt.status, map[string]string{"message": "Resource not accessible by integration"})
				},
			})
			err := NewStickyComment(client, "o", "r", 7).Publish(context.Background(), Outcome{Summary: "s"})
			if err == nil || errors.Is(err, ErrForbidden) != tt.wantForbidden {
				t.Errorf("Publish error = %v, want forbidden %t", err, tt.wantForbidden)
			}
		})
	}
}
