package ghfake

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit"
)

// TestRoutesFailOnWhatTheyDoNotExpect: a route outside the prefix, a wrong
// token and an unknown route each fail the test; a right request does not.
func TestRoutesFailOnWhatTheyDoNotExpect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, method, path, auth, want string
		status                         int
	}{
		{name: "expected", method: "PATCH", path: "/api/v3/repos/o/r/check-runs/7", auth: "Bearer tok", status: 200},
		{name: "outside the prefix", method: "PATCH", path: "/repos/o/r/check-runs/7", auth: "Bearer tok", status: 404, want: "outside the base URL"},
		{name: "wrong token", method: "PATCH", path: "/api/v3/repos/o/r/check-runs/7", auth: "Bearer other", status: 200, want: `Authorization = "Bearer other"`},
		{name: "unknown route", method: "POST", path: "/api/v3/repos/o/r/check-runs/7", auth: "Bearer tok", status: 404, want: "unexpected request POST /repos/o/r/check-runs/7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &testkit.Standalone{}
			t.Cleanup(rec.Close)
			f := NewRoutes(rec, RoutesOptions{Prefix: "/api/v3", Auth: []string{"Bearer tok"}}, map[string]http.HandlerFunc{
				"PATCH /repos/o/r/check-runs/{id}": func(w http.ResponseWriter, r *http.Request) {
					WriteJSON(w, http.StatusOK, map[string]string{"id": r.PathValue("id")})
				},
			})
			req, _ := http.NewRequest(tt.method, f.URL+tt.path, strings.NewReader(`{"status":"completed"}`))
			req.Header.Set("Authorization", tt.auth)
			testkit.Probe(t, f.Server.Client(), rec, req, tt.status, tt.want)
			if tt.status == 200 {
				reqs := f.Requests()
				if len(reqs) != 1 || reqs[0].Path != "/repos/o/r/check-runs/7" || string(reqs[0].Body) != `{"status":"completed"}` {
					t.Errorf("recorded %+v", reqs)
				}
			}
		})
	}
}

// TestRoutesUnroutedAndListener: with Unrouted set, a request on no route is
// answered by it (GitHub's 404 from NotFound) and fails nothing; the fake
// serves on the Listener it is given.
func TestRoutesUnroutedAndListener(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rec := &testkit.Standalone{}
	t.Cleanup(rec.Close)
	f := NewRoutes(rec, RoutesOptions{Listener: ln, Unrouted: NotFound}, map[string]http.HandlerFunc{
		"GET /repos/o/r/releases": func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, http.StatusOK, []string{}) },
	})
	if f.URL != "http://"+ln.Addr().String() {
		t.Errorf("URL %s, want the listener's address %s", f.URL, ln.Addr())
	}
	resp, err := f.Server.Client().Post(f.URL+"/repos/o/r/check-runs", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"message":"Not Found"`) {
		t.Errorf("unrouted: %d %s, want GitHub's 404", resp.StatusCode, body)
	}
	if got := rec.Failures(); len(got) != 0 {
		t.Errorf("failures %q, want none", got)
	}
}
