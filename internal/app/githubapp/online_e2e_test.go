package githubapp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/app/online"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

const (
	otherToken = "otlp-other-repo-token-22"
	splitFlags = `{
  "flags": {
    "summarize": {
      "state": "ENABLED",
      "variants": {"stable": "support/summarize", "canary": "support/summarize.concise"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 50], ["canary", 50]]}
    }
  }
}
`
)

// buildExample builds examples/flagged-service, its own Go module, into dir.
func buildExample(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "flagged-service")
	// No VCS stamp: a CI checkout owned by another user makes git refuse to
	// describe it, and the build would fail for a reason the test is not about.
	cmd := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Dir = filepath.Join("..", "..", "..", "examples", "flagged-service")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the example service (go mod download in examples/flagged-service first): %v\n%s", err, out)
	}
	return bin
}

// example is the running example service.
type example struct {
	url  string
	cmd  *exec.Cmd
	done chan error
	out  *syncBuffer
}

// startExample runs the example service exporting to serve with token.
func startExample(t *testing.T, bin, flagsFile, serveURL, token string) *example {
	t.Helper()
	cmd := exec.Command(bin, "--flags", flagsFile, "--flag", "summarize", "--listen", "127.0.0.1:0", "--flush-timeout", "2m")
	cmd.Env = append(os.Environ(),
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+serveURL+"/v1/traces",
		"OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer%20"+token,
		"OTEL_RESOURCE_ATTRIBUTES="+online.RepoAttribute+"=Codertocat/Hello-World",
		"OTEL_BSP_SCHEDULE_DELAY=200",
		// A loaded machine may answer an export slowly: a timed-out export
		// would be retried, or lost, and the counts would be off.
		"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=120000", "OTEL_BSP_EXPORT_TIMEOUT=120000")
	out := &syncBuffer{}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &example{cmd: cmd, done: make(chan error, 1), out: out}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.Write(append(sc.Bytes(), '\n'))
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				ready <- addr
			}
		}
		e.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case addr := <-ready:
		e.url = "http://" + addr
	case <-time.After(promtest.Deadline):
		t.Fatalf("the example service did not start:\n%s", out)
	}
	return e
}

// stop interrupts the service, which flushes its spans, and waits for it.
func (e *example) stop(t *testing.T) {
	t.Helper()
	if err := e.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-e.done:
		// The SDK reports a failed export on stderr (the spans are lost).
		if err != nil || strings.Contains(e.out.String(), "export") {
			t.Fatalf("example service: %v\n%s", err, e.out)
		}
	case <-time.After(2*time.Minute + promtest.Deadline): // past its --flush-timeout
		t.Fatalf("the example service did not stop:\n%s", e.out)
	}
}

// served counts, per variant, the answers the service gave and how many of
// them are not JSON.
type served struct {
	mu       sync.Mutex
	answers  map[string]int
	bad      map[string]int
	examples []string
}

func (e *example) load(t *testing.T, n, workers int) *served {
	t.Helper()
	s := &served{answers: map[string]int{}, bad: map[string]int{}}
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				body := fmt.Sprintf(`{"user":"user-%d","question":"SECRET-QUESTION-%d: my login fails"}`, i, i)
				resp, err := http.Post(e.url+"/answer", "application/json", strings.NewReader(body))
				if err != nil {
					t.Error(err)
					continue
				}
				var a struct{ Variant, Answer string }
				err = json.NewDecoder(resp.Body).Decode(&a)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("answer %d: %d %v", i, resp.StatusCode, err)
					continue
				}
				s.mu.Lock()
				s.answers[a.Variant]++
				if !json.Valid([]byte(a.Answer)) {
					s.bad[a.Variant]++
				}
				if len(s.examples) < 9 {
					s.examples = append(s.examples, a.Answer)
				}
				s.mu.Unlock()
			}
		}()
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return s
}

func near(want float64) func(float64) bool {
	return func(v float64) bool { return math.Abs(v-want) < 1e-9 }
}

// TestOnlineEvaluationEndToEnd is the whole loop with the real pieces: the
// example service (OpenFeature Go SDK, flagd provider reading the flags file
// in process, OpenFeature's OpenTelemetry hook, the OpenTelemetry SDK's
// OTLP/HTTP exporter) answers 400 requests at a 50/50 split; serve joins and
// grades them; a real Prometheus scrapes serve's /metrics; and
// /rollout summarize auto, gated on the online pass rate, holds and rolls
// the worse canary back. Exports with no token, a wrong one or another
// repository's move nothing, and no user text reaches serve's logs, its
// metrics or GitHub.
func TestOnlineEvaluationEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds the example service and runs it against serve and a real Prometheus")
	}
	// Not parallel: it runs before the package's parallel tests, so its build
	// and its 400 requests do not slow their waits.
	bin := buildExample(t, t.TempDir())
	tokens, err := online.ParseTokens("Codertocat/Hello-World=" + otlpToken + ",acme/other=" + otherToken)
	if err != nil {
		t.Fatal(err)
	}
	_, pemBytes := appKey(t)
	gh := fakeRepo(t)
	gh.DefaultBranch = "master"
	gh.Installations["Codertocat/Hello-World"] = 1
	// The repository's flag is at 0%: /rollout auto's first step (1%) needs
	// no analysis; the service serves its own 50/50 copy of the file.
	gh.SetFile("master", flagsPath, []byte(autoFlags))
	logs := &syncBuffer{}
	cfg := Config{AppID: 42, PrivateKey: pemBytes, WebhookSecret: []byte(testSecret), APIURL: gh.URL, Workers: 2, QueueSize: 16,
		ShutdownTimeout: time.Minute, AutoPoll: 200 * time.Millisecond, OTLPTokens: tokens}
	serve := startServe(t, cfg, logs)
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{strings.TrimPrefix(serve.url, "http://")}})
	gh.SetFile("master", "promptgate.yaml", []byte("rollout:\n  flags_file: "+flagsPath+"\n  interval: 2s\n  prometheus_url: "+prom.URL+`
  analysis:
    - name: online_pass_rate
      query: sum(promptgate_online_evals_total{flag="{{flag}}",variant="{{variant}}",result="pass"}) / sum(promptgate_online_evals_total{flag="{{flag}}",variant="{{variant}}",result=~"pass|fail"})
      min: 0.9
online:
  summarize:
    assert:
      - type: is-json
`))
	flagsFile := filepath.Join(t.TempDir(), "prompts.flagd.json")
	if err := os.WriteFile(flagsFile, []byte(splitFlags), 0o600); err != nil {
		t.Fatal(err)
	}

	// Refused exports: the real exporter gets 401 or 403 and nothing moves.
	answer := func(i int, variant string) string { return `{"summary":"SECRET-ANSWER"}` }
	for _, tc := range []struct{ name, token string }{{"no token", ""}, {"wrong token", "otlp-not-a-token-000000"},
		{"another repository's token", otherToken}} {
		if err := exportAnswers(serve.url, tc.token, 0, 4, answer); err == nil {
			t.Errorf("%s: the exporter reports success", tc.name)
		}
	}
	if m := metricsText(t, serve.url); strings.Contains(m, "promptgate_online_samples_total{") || strings.Contains(m, "promptgate_online_evals_total{") {
		t.Fatalf("refused exports moved metrics:\n%s", m)
	}

	svc := startExample(t, bin, flagsFile, serve.url, otlpToken)
	got := svc.load(t, 400, 8)
	svc.stop(t)
	t.Logf("served %v, not JSON %v; the service wrote:\n%s", got.answers, got.bad, svc.out)
	if got.answers["stable"]+got.answers["canary"] != 400 || got.answers["canary"] < 150 || got.answers["stable"] < 150 ||
		got.bad["stable"] != 0 || got.bad["canary"] == 0 {
		t.Fatalf("served %v with %v not JSON: want 400 split about evenly, bad answers only on the canary", got.answers, got.bad)
	}
	for _, v := range []string{"stable", "canary"} {
		prom.WaitFor(t, fmt.Sprintf(`sum(promptgate_online_samples_total{repo="Codertocat/Hello-World",flag="summarize",variant=%q})`, v),
			near(float64(got.answers[v])))
		prom.WaitFor(t, fmt.Sprintf(`sum(promptgate_online_evals_total{flag="summarize",variant=%q,assertion="is-json",result="pass"})`, v),
			near(float64(got.answers[v]-got.bad[v])))
	}
	prom.WaitFor(t, `sum(promptgate_online_evals_total{variant="canary",result="fail"})`, near(float64(got.bad["canary"])))
	prom.WaitFor(t, `sum(promptgate_online_evals_total{variant="stable",result="fail"}) or vector(0)`, near(0))
	ratio := prom.WaitFor(t, `sum(promptgate_online_evals_total{flag="summarize",variant="canary",result="fail"}) / sum(promptgate_online_evals_total{flag="summarize",variant="canary"})`,
		near(float64(got.bad["canary"])/float64(got.answers["canary"])))
	t.Logf("Prometheus: the canary fails is-json on %.4f of its answers", ratio)
	if m := metricsText(t, serve.url); strings.Contains(m, `promptgate_online_dropped_total{`) || strings.Contains(m, `repo="acme/other"`) {
		t.Errorf("drops, or the other repository moved:\n%s", m)
	}

	// /rollout summarize auto, gated on the online pass rate: the first step
	// (1%) needs no analysis; at the next the canary's pass rate (about 0.6)
	// is under 0.9, so it holds at 1% and then rolls back.
	body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout summarize auto"), byUser("alice", "User"))
	if code := deliverTo(t, gh, serve.url, "online-auto-1", "issue_comment", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("/rollout summarize auto delivery: %d", code)
	}
	eventually(t, "the rollback to 0%", func() bool { s := shares(t, gh); return len(s) > 0 && s[len(s)-1] == 0 }, logs.String)
	for _, s := range shares(t, gh) {
		if s > 1 {
			t.Errorf("shares committed = %v: the worse canary was raised", shares(t, gh))
		}
	}
	var held, rolledBack bool
	for _, c := range gh.Comments() {
		held = held || (strings.Contains(c.Body, "holds at") && strings.Contains(c.Body, "online"))
		rolledBack = rolledBack || strings.Contains(c.Body, "Rolled back **summarize**")
	}
	if !held || !rolledBack {
		t.Errorf("comments %v: want a hold on online_pass_rate, then the rollback", gh.Comments())
	}

	// Privacy: the questions and answers reached no log, metric or GitHub write.
	writes := []string{logs.String(), metricsText(t, serve.url)}
	for _, c := range gh.Comments() {
		writes = append(writes, c.Body)
	}
	for _, c := range gh.Commits() {
		writes = append(writes, string(c.Content), c.Message)
	}
	for _, w := range writes {
		for _, secret := range append([]string{"SECRET-QUESTION", "SECRET-ANSWER", "my login fails"}, got.examples...) {
			if strings.Contains(w, secret) {
				t.Errorf("production content %q left serve:\n%.400s", secret, w)
			}
		}
	}
}
