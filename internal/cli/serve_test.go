package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/app/webhook"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

const (
	serveSecret    = "whsec-cli-e2e-5f1c"
	serveFlagsPath = "flags/prompts.flagd.json"
	serveHeadSHA   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
)

// serveLog collects the server's stderr and tells when the listen line shows up.
type serveLog struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	addr chan string
	once sync.Once
}

func (l *serveLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	// slog's JSON handler writes one whole record per Write.
	var rec struct{ Msg, Addr string }
	if json.Unmarshal(p, &rec) == nil && rec.Msg == "promptgate serve listening" && rec.Addr != "" {
		l.once.Do(func() { l.addr <- rec.Addr })
	}
	return len(p), nil
}

func (l *serveLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// serveApp is one `promptgate serve` started through Main, against ghfake.
type serveApp struct {
	gh     *ghfake.Server
	base   string // http://ADDR
	log    *serveLog
	cancel context.CancelFunc
	exit   chan int
	pem    []byte
}

// startServe runs Main(ctx, ["serve"]) with the App configured from env only, the
// way a deployment runs it. apiURL overrides GITHUB_API_URL (for a slow proxy).
func startServe(t *testing.T, gh *ghfake.Server, pemBytes []byte, apiURL string) *serveApp {
	t.Helper()
	env := map[string]string{
		"PROMPTGATE_APP_ID":         "42",
		"PROMPTGATE_PRIVATE_KEY":    string(pemBytes),
		"PROMPTGATE_WEBHOOK_SECRET": serveSecret,
		"PROMPTGATE_LISTEN":         "127.0.0.1:0",
		"GITHUB_API_URL":            apiURL,
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &serveApp{gh: gh, log: &serveLog{addr: make(chan string, 1)}, cancel: cancel, exit: make(chan int, 1), pem: pemBytes}
	var stdout bytes.Buffer
	go func() {
		a.exit <- Main(ctx, []string{"serve"}, func(k string) string { return env[k] }, &stdout, a.log)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-a.exit:
		case <-time.After(90 * time.Second):
			t.Error("serve did not stop")
		}
	})
	select {
	case addr := <-a.log.addr:
		a.base = "http://" + addr
	case code := <-a.exit:
		t.Fatalf("serve exited %d before listening:\n%s", code, a.log.String())
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not log its listen address:\n%s", a.log.String())
	}
	return a
}

// stop cancels the context, as SIGTERM does, and returns the exit code.
func (a *serveApp) stop(t *testing.T) int {
	t.Helper()
	a.cancel()
	select {
	case code := <-a.exit:
		a.exit <- code // for Cleanup
		return code
	case <-time.After(90 * time.Second):
		t.Fatalf("serve did not return after cancel:\n%s", a.log.String())
		return -1
	}
}

func (a *serveApp) deliver(t *testing.T, id string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.base+"/webhook", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-GitHub-Event", "issue_comment")
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", webhook.Sign([]byte(serveSecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// serveKey generates the App's RSA key as PEM, as GitHub hands it out.
func serveKey(t *testing.T) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// serveRepo is the fake GitHub: Codertocat/Hello-World (default branch master,
// as in the recorded payload) with 20 flags at 5%, writer alice, and PR #1 whose
// promptgate check passed with a cost projection for prompt-01.
func serveRepo(t *testing.T, key *rsa.PrivateKey) *ghfake.Server {
	t.Helper()
	gh := ghfake.New(t)
	gh.AppKey = &key.PublicKey
	flags, err := os.ReadFile("../app/rollout/testdata/flags20.flagd.json")
	if err != nil {
		t.Fatal(err)
	}
	gh.SetFile("master", "promptgate.yaml", []byte("rollout:\n  flags_file: "+serveFlagsPath+"\n"))
	gh.SetFile("master", serveFlagsPath, flags)
	gh.Permissions["alice"] = "write"
	gh.PullHeads[1] = serveHeadSHA
	summary := "## promptgate\n\n| prompt | cost |\n|---|---|\n" + projection.Encode(projection.Projection{
		Flags: map[string]projection.FlagCost{"prompt-01": {StableMonthlyUSD: 1200, RolloutMonthlyUSD: 1800}}})
	gh.CheckRuns[serveHeadSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "success", Summary: summary}}
	return gh
}

// commandDelivery is the recorded issue_comment, moved onto PR #1 and given a
// command by alice, written just now. The edits are those
// testdata/webhooks/README.md lists. The fake GitHub then holds the comment, as
// the App fetches it again before it commits.
func commandDelivery(t *testing.T, gh *ghfake.Server, body string) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/webhooks/issue_comment.created.with-installation.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["issue"].(map[string]any)["pull_request"] = map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
	c := m["comment"].(map[string]any)
	c["body"] = body
	c["created_at"] = time.Now().UTC().Format(time.RFC3339)
	u := c["user"].(map[string]any)
	u["login"], u["type"] = "alice", "User"
	gh.SetComment(int64(c["id"].(float64)), "alice", body)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServeEndToEnd runs the binary's entry point: env-only config, a signed
// recorded delivery with `/rollout prompt-01 25%`, the commit at the fake GitHub,
// /healthz, then a cancel (SIGTERM) and a clean exit 0.
func TestServeEndToEnd(t *testing.T) {
	t.Parallel()
	key, pemBytes := serveKey(t)
	gh := serveRepo(t, key)
	before := gh.File("master", serveFlagsPath)
	a := startServe(t, gh, pemBytes, gh.URL)

	resp, err := http.Get(a.base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	health, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(health) != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", resp.StatusCode, health)
	}

	if code := a.deliver(t, "e2e-1", commandDelivery(t, gh, "Evals pass.\n/rollout prompt-01 25%")); code != http.StatusAccepted {
		t.Fatalf("delivery status = %d, want 202", code)
	}
	waitFor(t, "the reply", func() bool { return len(gh.Comments()) == 1 })

	commits := gh.Commits()
	if len(commits) != 1 {
		t.Fatalf("commits = %d, want 1", len(commits))
	}
	want, _, _, err := flagd.SetRollout(before, flagd.JSON, "prompt-01", 25)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(commits[0].Content)); diff != "" {
		t.Errorf("committed flags file (-want +got):\n%s", diff)
	}
	if c := commits[0]; c.Branch != "master" || c.Path != serveFlagsPath || !strings.HasPrefix(c.Message, "promptgate: roll out prompt-01 5% → 25%") {
		t.Errorf("commit = %s:%s %q", c.Branch, c.Path, c.Message)
	}
	reply := gh.Comments()[0]
	for _, s := range []string{"5% → 25%", commits[0].SHA[:7], "Projected monthly cost at 25%: **$1350.00**"} {
		if !strings.Contains(reply.Body, s) {
			t.Errorf("reply lacks %q:\n%s", s, reply.Body)
		}
	}

	if code := a.stop(t); code != ExitOK {
		t.Errorf("exit code after cancel = %d, want 0\n%s", code, a.log.String())
	}
	logs := a.log.String()
	if !strings.Contains(logs, `"msg":"stopped"`) {
		t.Errorf("no shutdown log line:\n%s", logs)
	}
	for _, secret := range []string{serveSecret, ghfake.Token, strings.Split(string(pemBytes), "\n")[3]} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret (%.12q…)", secret)
		}
	}
}

// TestServeDrainsOnShutdown cancels right after GitHub got its 202, while the job
// is still talking to a slow GitHub: Main must finish the job (commit, reply and
// final reaction) before it returns 0.
func TestServeDrainsOnShutdown(t *testing.T) {
	t.Parallel()
	key, pemBytes := serveKey(t)
	gh := serveRepo(t, key)
	gh.Latency = 40 * time.Millisecond // set before serve's first request
	a := startServe(t, gh, pemBytes, gh.URL)

	if code := a.deliver(t, "drain-1", commandDelivery(t, gh, "/rollout prompt-02 10")); code != http.StatusAccepted {
		t.Fatalf("delivery status = %d, want 202", code)
	}
	if n := len(gh.Reactions()); n > 1 {
		t.Fatalf("the job finished before shutdown began (%d reactions); the test proves nothing", n)
	}
	if code := a.stop(t); code != ExitOK {
		t.Errorf("exit code after cancel = %d, want 0\n%s", code, a.log.String())
	}
	if n := len(gh.Commits()); n != 1 {
		t.Errorf("commits after shutdown = %d, want 1 (in-flight job drained)", n)
	}
	if n := len(gh.Comments()); n != 1 {
		t.Errorf("replies after shutdown = %d, want 1", n)
	}
	var reactions []string
	for _, r := range gh.Reactions() {
		reactions = append(reactions, r.Content)
	}
	if diff := cmp.Diff([]string{"eyes", "rocket"}, reactions); diff != "" {
		t.Errorf("reactions (-want +got):\n%s", diff)
	}
	sc := bufio.NewScanner(strings.NewReader(a.log.String()))
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
		}
	}
}
