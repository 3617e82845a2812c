package testkit

import (
	"net/http"
	"strings"
	"testing"
)

// Probe sends req through client to a fake that reports to rec, and checks
// what the fake did with it: the status it answered, and the failures it
// reported, which must contain wantFailure, or be none when wantFailure is
// "". It is the shared step of the fakes' own tests of what they refuse.
func Probe(t testing.TB, client *http.Client, rec *Standalone, req *http.Request, wantStatus int, wantFailure string) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != wantStatus {
		t.Errorf("%s %s: status %d, want %d", req.Method, req.URL.Path, resp.StatusCode, wantStatus)
	}
	if got := strings.Join(rec.Failures(), "\n"); (wantFailure == "") != (got == "") || !strings.Contains(got, wantFailure) {
		t.Errorf("%s %s: failures %q, want one containing %q", req.Method, req.URL.Path, got, wantFailure)
	}
}
