package llmfake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit"
)

// TestAPIFailsOnWhatItDoesNotExpect: another route, a wrong key, a body
// field no test knows (Strict), an empty model and streaming each fail the
// test; a right request is answered, counted and kept.
func TestAPIFailsOnWhatItDoesNotExpect(t *testing.T) {
	t.Parallel()
	const good = `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name, method, path, auth, body, want string
		status                               int
	}{
		{name: "expected", method: "POST", path: DefaultPath, auth: "Bearer k", body: good, status: 200},
		{name: "other route", method: "POST", path: "/v1/completions", auth: "Bearer k", body: good, status: 404, want: "unexpected POST /v1/completions"},
		{name: "wrong method", method: "GET", path: DefaultPath, auth: "Bearer k", status: 404, want: "unexpected GET"},
		{name: "wrong key", method: "POST", path: DefaultPath, auth: "Bearer x", body: good, status: 200, want: `Authorization header = "Bearer x"`},
		{name: "unknown field", method: "POST", path: DefaultPath, auth: "Bearer k", body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"logprobs":true}`, status: 400, want: "bad body"},
		{name: "no model", method: "POST", path: DefaultPath, auth: "Bearer k", body: `{"messages":[{"role":"user","content":"hi"}]}`, status: 400, want: "bad body"},
		{name: "streaming", method: "POST", path: DefaultPath, auth: "Bearer k", body: `{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`, status: 200, want: "streaming"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &testkit.Standalone{}
			t.Cleanup(rec.Close)
			a := NewAPI(rec, APIOptions{CheckAuth: true, Auth: "Bearer k", Strict: true, Keep: true})
			req, _ := http.NewRequest(tt.method, a.URL+tt.path, strings.NewReader(tt.body))
			req.Header.Set("Authorization", tt.auth)
			testkit.Probe(t, a.Client(), rec, req, tt.status, tt.want)
			if a.Requests() != 1 || len(a.Seen()) != 1 {
				t.Errorf("requests %d, seen %v; want 1 each", a.Requests(), a.Seen())
			}
			if tt.status == 200 && (len(a.Received()) != 1 || a.Received()[0].Last() != "hi" || a.Calls()["m"] != 1) {
				t.Errorf("received %+v, calls %v", a.Received(), a.Calls())
			}
		})
	}
}
