package githubapp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/app/webhook"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

const (
	testSecret = "whsec-test-0b8f1e"
	flagsPath  = "flags/prompts.flagd.json"
	headSHA    = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
	testPEM []byte
)

func appKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
		testPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return testKey, testPEM
}

// payload loads a recorded delivery from testdata/webhooks and applies edits,
// each of which says in its name what it changes and why.
func payload(t *testing.T, file string, edits ...func(map[string]any)) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../../testdata/webhooks/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) == 0 {
		return raw
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, e := range edits {
		e(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// onPullRequest marks the issue as a pull request, as GitHub does for PR comments.
func onPullRequest(m map[string]any) {
	m["issue"].(map[string]any)["pull_request"] = map[string]any{
		"url":      "https://api.github.com/repos/Codertocat/Hello-World/pulls/1",
		"html_url": "https://github.com/Codertocat/Hello-World/pull/1",
		"diff_url": "https://github.com/Codertocat/Hello-World/pull/1.diff",
	}
}

// commentBody sets the comment's body and makes it written just now, so that
// rollout.max_comment_age does not refuse it.
func commentBody(body string) func(map[string]any) {
	return func(m map[string]any) {
		m["comment"].(map[string]any)["body"] = body
		m["comment"].(map[string]any)["created_at"] = time.Now().UTC().Format(time.RFC3339)
	}
}

// commentID gives the comment another ID, as a second comment has.
func commentID(id int64) func(map[string]any) {
	return func(m map[string]any) { m["comment"].(map[string]any)["id"] = id }
}

// writtenAgo backdates the comment.
func writtenAgo(d time.Duration) func(map[string]any) {
	return func(m map[string]any) {
		m["comment"].(map[string]any)["created_at"] = time.Now().Add(-d).UTC().Format(time.RFC3339)
	}
}

func byUser(login, typ string) func(map[string]any) {
	return func(m map[string]any) {
		u := m["comment"].(map[string]any)["user"].(map[string]any)
		u["login"], u["type"] = login, typ
	}
}

// addInstallation adds the installation block App deliveries carry.
func addInstallation(m map[string]any) { m["installation"] = map[string]any{"id": 1} }

type rig struct {
	gh   *ghfake.Server
	srv  *Server
	http *httptest.Server
	logs *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// fakeRepo is ghfake holding Codertocat/Hello-World with promptgate.yaml and 20
// flags on master, a writer alice, a reader rob, and PR #1 whose check passed.
func fakeRepo(t *testing.T) *ghfake.Server {
	t.Helper()
	key, _ := appKey(t)
	gh := ghfake.New(t)
	gh.AppKey = &key.PublicKey
	flags, err := os.ReadFile("../rollout/testdata/flags20.flagd.json")
	if err != nil {
		t.Fatal(err)
	}
	gh.SetFile("master", "promptgate.yaml", []byte("rollout:\n  flags_file: "+flagsPath+"\n"))
	gh.SetFile("master", flagsPath, flags)
	gh.Permissions["alice"] = "write"
	gh.Permissions["rob"] = "read"
	gh.PullHeads[1] = headSHA
	gh.CheckRuns[headSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "success"}}
	return gh
}

func newRig(t *testing.T) *rig { t.Helper(); return newRigWith(t, nil) }

// newRigWith is newRig with the App's config and the fake adjusted by tune
// before the server starts.
func newRigWith(t *testing.T, tune func(*Config, *ghfake.Server)) *rig {
	t.Helper()
	_, pemBytes := appKey(t)
	gh := fakeRepo(t)
	logs := &syncBuffer{}
	cfg := Config{AppID: 42, PrivateKey: pemBytes, WebhookSecret: []byte(testSecret), APIURL: gh.URL, Workers: 2, QueueSize: 16}
	if tune != nil {
		tune(&cfg, gh)
	}
	srv, err := NewServer(cfg, NewLogger(logs, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &rig{gh: gh, srv: srv, http: hs, logs: logs}
}

// deliver posts a signed delivery. The fake GitHub then holds the delivery's
// comment as it was written, so that the App finds it when it fetches it again.
func (r *rig) deliver(t *testing.T, id, event string, body []byte, secret string) int {
	t.Helper()
	return deliverTo(t, r.gh, r.http.URL, id, event, body, secret)
}

// deliverTo is rig.deliver to any serve at url, in front of gh.
func deliverTo(t *testing.T, gh *ghfake.Server, url, id, event string, body []byte, secret string) int {
	t.Helper()
	var ev struct {
		Comment struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
			User struct {
				Login string `json:"login"`
			} `json:"user"`
		} `json:"comment"`
	}
	if event == "issue_comment" && json.Unmarshal(body, &ev) == nil && ev.Comment.ID != 0 {
		gh.SetComment(ev.Comment.ID, ev.Comment.User.Login, ev.Comment.Body)
	}
	req, _ := http.NewRequest(http.MethodPost, url+"/webhook", bytes.NewReader(body))
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", webhook.Sign([]byte(secret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// drain waits for every queued delivery to finish.
func (r *rig) drain(t *testing.T) {
	t.Helper()
	if err := r.srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDeliveries(t *testing.T) {
	t.Parallel()
	command := commentBody("Evals pass.\n/rollout prompt-01 25%")
	tests := []struct {
		name   string
		event  string
		body   func(t *testing.T) []byte
		secret string
		status int
		puts   int
		calls  bool // whether any GitHub API call is expected
	}{
		{"command on a PR", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", onPullRequest, command, byUser("alice", "User"))
		}, testSecret, 202, 1, true},
		{"comment on a plain issue", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", command, byUser("alice", "User"))
		}, testSecret, 200, 0, false},
		{"recorded comment, no command", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", onPullRequest)
		}, testSecret, 200, 0, false},
		{"edited comment", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.edited.json", onPullRequest, command, byUser("alice", "User"), addInstallation)
		}, testSecret, 200, 0, false},
		{"deleted comment", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.deleted.json", onPullRequest, command, byUser("alice", "User"), addInstallation)
		}, testSecret, 200, 0, false},
		{"bot comment", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", onPullRequest, command, byUser("promptgate[bot]", "Bot"))
		}, testSecret, 200, 0, false},
		{"other bot comment", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", onPullRequest, command, byUser("renovate[bot]", "Bot"))
		}, testSecret, 200, 0, false},
		{"ping", "ping", func(t *testing.T) []byte { return payload(t, "ping.with-app_id.json") }, testSecret, 200, 0, false},
		{"check_run", "check_run", func(t *testing.T) []byte { return payload(t, "check_run.created.json") }, testSecret, 200, 0, false},
		{"bad signature", "issue_comment", func(t *testing.T) []byte {
			return payload(t, "issue_comment.created.with-installation.json", onPullRequest, command, byUser("alice", "User"))
		}, "not-the-secret", 401, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			if got := r.deliver(t, "delivery-1", tt.event, tt.body(t), tt.secret); got != tt.status {
				t.Errorf("status = %d, want %d", got, tt.status)
			}
			r.drain(t)
			if puts := r.gh.Count("PUT", "/repos/"); puts != tt.puts {
				t.Errorf("PUTs = %d, want %d", puts, tt.puts)
			}
			if calls := r.gh.Calls(); tt.calls != (len(calls) > 0) {
				t.Errorf("API calls = %v, want any: %v", calls, tt.calls)
			}
		})
	}
}

func TestHappyPathEndToEnd(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	_, pemBytes := appKey(t)
	before := r.gh.File("master", flagsPath)
	body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("Evals pass.\n/rollout prompt-01 25%"), byUser("alice", "User"))
	if got := r.deliver(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issue_comment", body, testSecret); got != 202 {
		t.Fatalf("status = %d", got)
	}
	// A redelivery of the same delivery must not run the command again.
	if got := r.deliver(t, "72d3162e-cc78-11e3-81ab-4c9367dc0958", "issue_comment", body, testSecret); got != 200 {
		t.Errorf("redelivery status = %d, want 200", got)
	}
	r.drain(t)

	commits := r.gh.Commits()
	if len(commits) != 1 {
		t.Fatalf("commits = %d, want 1", len(commits))
	}
	want, _, _, err := flagd.SetRollout(before, flagd.JSON, "prompt-01", 25)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(commits[0].Content)); diff != "" {
		t.Errorf("content (-want +got):\n%s", diff)
	}
	if c := r.gh.Comments(); len(c) != 1 || !strings.Contains(c[0].Body, "5% → 25%") || c[0].Issue != 1 {
		t.Errorf("reply = %+v", c)
	}
	if n := r.gh.TokensIssued(); n != 1 {
		t.Errorf("installation tokens minted = %d, want 1 (cached transport)", n)
	}

	logs := r.logs.String()
	for _, secret := range []string{testSecret, ghfake.Token, string(pemBytes), pemLine(pemBytes)} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret (%.20q...)", secret)
		}
	}
	var applied map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == "rollout applied" {
			applied = rec
		}
	}
	wantAttrs := map[string]any{"delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958", "repo": "Codertocat/Hello-World", "pr": float64(1), "flag": "prompt-01"}
	for k, v := range wantAttrs {
		if applied[k] != v {
			t.Errorf("log %q = %v, want %v (line %v)", k, applied[k], v, applied)
		}
	}
}

// pemLine is one line of the key body, so a partial leak is caught too.
func pemLine(p []byte) string {
	lines := strings.Split(string(p), "\n")
	return lines[len(lines)/2]
}

func TestInstallationClientsAreCached(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for i, flag := range []string{"prompt-01", "prompt-02", "prompt-03"} {
		body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
			commentBody("/rollout "+flag+" 10"), byUser("alice", "User"), commentID(int64(2000+i)))
		if got := r.deliver(t, fmt.Sprintf("d-%d", i), "issue_comment", body, testSecret); got != 202 {
			t.Fatalf("status = %d", got)
		}
	}
	r.drain(t)
	if n := len(r.gh.Commits()); n != 3 {
		t.Errorf("commits = %d, want 3", n)
	}
	if n := r.gh.TokensIssued(); n != 1 {
		t.Errorf("tokens minted = %d, want 1", n)
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	t.Parallel()
	_, pemBytes := appKey(t)
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	cfg := Config{AppID: 42, PrivateKey: pemBytes, WebhookSecret: []byte(testSecret), APIURL: "http://127.0.0.1:1", Workers: 1, QueueSize: 1}
	go func() { done <- Serve(ctx, ln, cfg, NewLogger(&syncBuffer{}, slog.LevelInfo)) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after cancel", err)
	}
}

// TestRedeliveryAfterFailureRuns: when GitHub failed the job (here the PR could
// not be read), a manual redelivery, which keeps the delivery ID, must run the
// command instead of being dropped as a duplicate.
func TestRedeliveryAfterFailureRuns(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	delete(r.gh.PullHeads, 1) // GET /pulls/1 answers 404
	body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout prompt-01 25%"), byUser("alice", "User"))
	if got := r.deliver(t, "redo-1", "issue_comment", body, testSecret); got != 202 {
		t.Fatalf("first delivery status = %d, want 202", got)
	}
	// The job has finished once it logs its failure.
	eventually(t, "the failed job", func() bool { return strings.Contains(r.logs.String(), `"msg":"handle comment`) }, r.logs.String)
	if n := len(r.gh.Commits()); n != 0 {
		t.Fatalf("commits after the failed job = %d, want 0", n)
	}
	r.gh.SetPullHead(1, headSHA)
	if got := r.deliver(t, "redo-1", "issue_comment", body, testSecret); got != 202 {
		t.Errorf("redelivery status = %d, want 202 (processed again)", got)
	}
	r.drain(t)
	if n := len(r.gh.Commits()); n != 1 {
		t.Errorf("commits after the redelivery = %d, want 1", n)
	}
}
