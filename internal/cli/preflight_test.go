package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

const preflightPrompt = "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\nSay {{text}}\n"

func preflightSuite(n int) string {
	s := "prompt: p\ntests:\n"
	for i := range n {
		s += "  - description: case " + string(rune('a'+i)) + "\n    vars: {text: hi}\n    assert: [{type: contains, value: hi}]\n"
	}
	return s
}

func withKey(k string) string {
	if k == "OPENAI_API_KEY" {
		return "sk-test"
	}
	return ""
}

// TestPreflightStopsOnDeadEndpoint: a base_url that nothing serves stops the
// run with one message at its line in promptgate.yaml, exit 2, no retries
// per case and no what-if.
func TestPreflightStopsOnDeadEndpoint(t *testing.T) {
	t.Parallel()
	var pageHits atomic.Int64
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotImplemented)
		_, _ = w.Write([]byte("<html><body><h1>Error response</h1><p>Error code: 501</p></body></html>"))
	}))
	t.Cleanup(page.Close)
	tests := []struct {
		name, baseURL, want string
		hits                *atomic.Int64
	}{
		{"closed port", "http://" + closedPort(t) + "/v1", "is unreachable: connection refused", nil},
		{"web server without the API", page.URL + "/v1", "answered HTTP 501 with a page that is not an API error", &pageHits},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"promptgate.yaml":  "candidates: [gpt-4.1-nano]\nproviders:\n  default:\n    max_retries: 4\n    base_url: " + tt.baseURL + "\n",
				"prompts/p.prompt": preflightPrompt,
				"evals/s.yaml":     preflightSuite(10),
			})
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--no-cache"}, withKey, &stdout, &stderr)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			want := "promptgate.yaml:5: providers.default.base_url: "
			if got := stderr.String(); !strings.Contains(got, want) || !strings.Contains(got, tt.want) || strings.Count(got, "\n") != 1 {
				t.Errorf("stderr:\n%s\nwant one line with %q and %q", got, want, tt.want)
			}
			if strings.Contains(stderr.String(), "<html>") || stdout.Len() != 0 {
				t.Errorf("the page or a report leaked out:\nstdout %q\nstderr %q", stdout.String(), stderr.String())
			}
			if tt.hits != nil && tt.hits.Load() > 8 {
				t.Errorf("the dead endpoint got %d requests; after the first answer no case calls it (10 cases, concurrency 8)", tt.hits.Load())
			}
		})
	}
}

// TestPreflightNeedsNoEndpointForRecordedRuns: a run answered from the cache
// makes no call, so a dead endpoint does not stop it.
func TestPreflightNeedsNoEndpointForRecordedRuns(t *testing.T) {
	t.Parallel()
	srv := llmfake.New(llmfake.Options{})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir, cache := t.TempDir(), t.TempDir()
	files := map[string]string{"prompts/p.prompt": preflightPrompt, "evals/s.yaml": preflightSuite(2),
		"promptgate.yaml": "providers:\n  default:\n    base_url: " + ts.URL + "/v1\n"}
	writeFiles(t, dir, files)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--cache-dir", cache}, withKey, &stdout, &stderr); code != ExitOK {
		t.Fatalf("recording run: exit %d\n%s", code, stderr.String())
	}
	ts.Close()
	// Same endpoint, now closed: the cache answers, the endpoint is never probed.
	for _, args := range [][]string{{"--cache-dir", cache}, {"--cache-dir", cache, "--offline"}} {
		stdout.Reset()
		stderr.Reset()
		if code := Main(context.Background(), append([]string{"eval", "-C", dir, "--quiet"}, args...), withKey, &stdout, &stderr); code != ExitOK {
			t.Errorf("eval %v against a closed endpoint with a warm cache: exit %d\n%s", args, code, stderr.String())
		}
	}
}
