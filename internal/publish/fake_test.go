package publish

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v62/github"
)

const (
	testToken = "test-token"
	// ghesPrefix makes every test exercise the GHES base-URL form of GITHUB_API_URL.
	ghesPrefix = "/api/v3"
)

// request is one call the fake received.
type request struct {
	Method, Path, Query string
	Body                []byte
}

// decode unmarshals the request body into v, failing the test on bad JSON.
func (r request) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decode body %q: %v", r.Method, r.Path, r.Body, err)
	}
}

// fakeGitHub is an httptest GitHub REST API. Routes are "METHOD /path" (path
// without the GHES prefix); any other request fails the test.
type fakeGitHub struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	calls  []request
}

// newFakeGitHub starts the fake and returns a real go-github client built the
// way the Action builds it from GITHUB_API_URL (GHES form, .../api/v3).
func newFakeGitHub(t *testing.T, routes map[string]http.HandlerFunc) (*fakeGitHub, *github.Client) {
	t.Helper()
	f := &fakeGitHub{t: t, routes: routes}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	client, err := NewClient(srv.Client(), testToken, srv.URL+ghesPrefix)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return f, client
}

func (f *fakeGitHub) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body)) // handlers may decode it again
	path, ok := strings.CutPrefix(r.URL.Path, ghesPrefix)
	if !ok {
		f.t.Errorf("request outside the GHES base URL: %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
		f.t.Errorf("%s %s: Authorization = %q", r.Method, path, got)
	}
	f.mu.Lock()
	f.calls = append(f.calls, request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body})
	h, ok := f.routes[r.Method+" "+path]
	f.mu.Unlock()
	if !ok {
		f.t.Errorf("unexpected request %s %s", r.Method, path)
		http.NotFound(w, r)
		return
	}
	h(w, r)
}

func (f *fakeGitHub) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.calls...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
