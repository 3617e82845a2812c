package ghfake

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit"
)

// Request is one call a Routes fake received.
type Request struct {
	// Path is without the fake's Prefix.
	Method, Path, Query string
	Body                []byte
}

// Decode unmarshals the request body into v, failing the test on bad JSON.
func (r Request) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decode body %q: %v", r.Method, r.Path, r.Body, err)
	}
}

// RoutesOptions configure a Routes fake.
type RoutesOptions struct {
	// Prefix is the base path every request must start with: /api/v3 for
	// GitHub Enterprise Server's form of GITHUB_API_URL, "" for api.github.com.
	Prefix string
	// Auth lists the Authorization headers the fake accepts; a request with
	// another fails the test. Empty: the header is not checked.
	Auth []string
	// Unrouted, when set, answers a request on no route instead of failing
	// the test: NotFound makes the fake a GitHub on which the token sees
	// nothing but the routes given.
	Unrouted http.HandlerFunc
	// Listener, when set, is where the fake serves (the address a program
	// outside go test was told to use); nil means a fresh loopback port.
	Listener net.Listener
}

// Routes is a GitHub REST API fake for tests that script the answers
// themselves, as go-github's own tests do: each route is a ServeMux pattern
// ("POST /repos/o/r/check-runs", "PATCH /repos/o/r/check-runs/{id}") relative
// to Prefix, with its handler. A request outside Prefix, with a wrong
// Authorization header or on any other route fails the test. Every request is
// recorded with its body, which handlers may still read.
type Routes struct {
	*httptest.Server
	t    testkit.TB
	opts RoutesOptions
	mux  *http.ServeMux

	mu       sync.Mutex
	requests []Request
}

// NewRoutes starts a Routes fake serving routes; it is closed with the test.
func NewRoutes(t testkit.TB, o RoutesOptions, routes map[string]http.HandlerFunc) *Routes {
	t.Helper()
	f := &Routes{t: t, opts: o, mux: http.NewServeMux()}
	for pattern, h := range routes {
		f.mux.HandleFunc(pattern, h)
	}
	f.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if o.Unrouted != nil {
			o.Unrouted(w, r)
			return
		}
		t.Errorf("fake GitHub: unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(f.serve))
	if o.Listener != nil {
		_ = f.Server.Listener.Close()
		f.Server.Listener = o.Listener
	}
	f.Server.Start()
	t.Cleanup(f.Close)
	return f
}

func (f *Routes) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	path, ok := strings.CutPrefix(r.URL.Path, f.opts.Prefix)
	if !ok {
		f.t.Errorf("fake GitHub: request outside the base URL %s: %s %s", f.opts.Prefix, r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); len(f.opts.Auth) > 0 && !slices.Contains(f.opts.Auth, got) {
		f.t.Errorf("fake GitHub: %s %s: Authorization = %q", r.Method, path, got)
	}
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Body: body})
	f.mu.Unlock()
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = path, ""
	f.mux.ServeHTTP(w, r2)
}

// Requests returns every request so far, in arrival order.
func (f *Routes) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// NotFound answers 404 with GitHub's body for it: what GitHub answers a
// token that cannot see the resource.
func NotFound(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
}

// WriteJSON answers status with v as a JSON body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	writeJSON(w, status, v)
}
