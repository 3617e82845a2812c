package githubapp

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

const alertToken = "am-e2e-token-9c2d"

// alertRig is serve with POST /alertmanager on, in front of ghfake, counting
// the notifications it receives by status.
type alertRig struct {
	gh   *ghfake.Server
	srv  *Server
	http *httptest.Server
	logs *syncBuffer

	mu     sync.Mutex
	counts map[string]int // notification status → how many arrived
}

func newAlertRig(t *testing.T, token string) *alertRig {
	t.Helper()
	_, pemBytes := appKey(t)
	gh := fakeRepo(t)
	gh.DefaultBranch = "master"
	gh.Installations["Codertocat/Hello-World"] = 1
	logs := &syncBuffer{}
	cfg := Config{AppID: 42, PrivateKey: pemBytes, WebhookSecret: []byte(testSecret), APIURL: gh.URL, Workers: 2, QueueSize: 16,
		AlertmanagerToken: []byte(token)}
	srv, err := NewServer(cfg, NewLogger(logs, slog.LevelDebug))
	if err != nil {
		t.Fatal(err)
	}
	r := &alertRig{gh: gh, srv: srv, logs: logs, counts: map[string]int{}}
	r.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/alertmanager" {
			body, _ := io.ReadAll(req.Body)
			var p struct{ Status string }
			_ = json.Unmarshal(body, &p)
			req.Body = io.NopCloser(bytes.NewReader(body))
			defer func() { r.mu.Lock(); r.counts[p.Status]++; r.mu.Unlock() }()
		}
		srv.Handler().ServeHTTP(w, req)
	}))
	t.Cleanup(r.http.Close)
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	return r
}

func (r *alertRig) count(status string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counts[status]
}

// eventually polls cond until it holds, failing after promtest.Deadline.
func eventually(t *testing.T, what string, cond func() bool, logs ...func() string) {
	t.Helper()
	for end := time.Now().Add(promtest.Deadline); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return
		}
	}
	var b strings.Builder
	for _, l := range logs {
		b.WriteString(l() + "\n")
	}
	t.Fatalf("%s: not within %s\n%s", what, promtest.Deadline, b.String())
}

// TestAlertmanagerRollsBack is the real chain: a Prometheus alerting rule on the
// canary's error rate fires, a real Alertmanager posts it to serve's
// /alertmanager, and the flag is rolled back once at the GitHub fake with a
// comment on the PR that rolled it out. Repeats and the resolution commit nothing.
func TestAlertmanagerRollsBack(t *testing.T) {
	t.Parallel()
	r := newAlertRig(t, alertToken)

	// PR #1 rolls prompt-01 out to 25% through a comment, as a person would.
	body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout prompt-01 25%"), byUser("alice", "User"))
	rig := &rig{gh: r.gh, srv: r.srv, http: r.http, logs: r.logs}
	if got := rig.deliver(t, "d-rollout", "issue_comment", body, testSecret); got != http.StatusAccepted {
		t.Fatalf("rollout delivery: %d", got)
	}
	eventually(t, "rollout commit", func() bool { return len(r.gh.Commits()) == 1 }, r.logs.String)

	exp := promtest.NewExporter(t)
	stable := promtest.Traffic{RequestsPerSec: 40, ErrorRatio: 0.01, Latency: 100 * time.Millisecond}
	bad := stable
	bad.ErrorRatio = 0.05
	exp.Set("prompt-01", "stable", stable)
	exp.Set("prompt-01", "canary", bad)
	am := promtest.StartAlertmanager(t, r.http.URL+"/alertmanager", alertToken)
	// The rule's window is 15 s, not a few seconds: on a loaded machine
	// Prometheus misses scrapes (1 s timeout), and a window with fewer than two
	// samples has no rate, so the alert would not fire, or would resolve and
	// fire again. Fifteen seconds still resolve it soon after the canary heals.
	rules := `groups:
  - name: promptgate
    rules:
      - alert: CanaryErrorRate
        expr: >-
          sum by (feature_flag_key) (rate(app_errors_total{feature_flag_result_variant="canary"}[15s]))
          / sum by (feature_flag_key) (rate(app_requests_total{feature_flag_result_variant="canary"}[15s])) > 0.02
        labels:
          promptgate_flag: '{{ $labels.feature_flag_key }}'
          promptgate_repo: Codertocat/Hello-World
        annotations:
          summary: 'canary error rate {{ $value | humanizePercentage }} @oncall <b>'
`
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{exp.Target()}, Rules: rules, Alertmanager: am.URL})
	serverLogs := func() string {
		return "serve:\n" + r.logs.String() + "\nprometheus:\n" + prom.Log() + "\nalertmanager:\n" + am.Log()
	}

	eventually(t, "rollback commit", func() bool { return len(r.gh.Commits()) == 2 }, serverLogs)
	// Alertmanager repeats the firing group every 2 s; let a few repeats arrive.
	eventually(t, "repeated notifications", func() bool { return r.count("firing") >= 3 }, serverLogs)

	commits := r.gh.Commits()
	split, err := flagd.ReadSplit(commits[1].Content, flagd.JSON, "prompt-01")
	if err != nil || split.RolloutPct != 0 {
		t.Fatalf("rollback committed %d%% (%v), want 0%%", split.RolloutPct, err)
	}
	if !strings.Contains(commits[1].Message, "roll back prompt-01 25% → 0%") || !strings.Contains(commits[1].Message, "CanaryErrorRate") {
		t.Errorf("commit message %q", commits[1].Message)
	}

	// Healthy again: the alert resolves, and a resolved notification commits nothing.
	exp.Set("prompt-01", "canary", stable)
	eventually(t, "resolved notification", func() bool { return r.count("resolved") >= 1 }, serverLogs)
	if n := len(r.gh.Commits()); n != 2 {
		t.Errorf("commits = %d after repeats and resolution, want 2", n)
	}
	var alerts []ghfake.Comment
	for _, c := range r.gh.Comments() {
		if strings.Contains(c.Body, "Alertmanager alert") {
			alerts = append(alerts, c)
		}
	}
	if len(alerts) != 1 || alerts[0].Issue != 1 {
		t.Fatalf("alert comments = %+v, want one on PR #1", alerts)
	}
	for _, want := range []string{"**CanaryErrorRate** is firing: canary error rate", "@\u200boncall &lt;b&gt;", "25% → 0%"} {
		if !strings.Contains(alerts[0].Body, want) {
			t.Errorf("alert comment lacks %q:\n%s", want, alerts[0].Body)
		}
	}
}

func TestAlertmanagerEndpointAuth(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile("../alertmanager/testdata/firing.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token, auth string
		want              int
	}{
		{"wrong bearer token", alertToken, "Bearer wrong", http.StatusUnauthorized},
		{"no bearer token", alertToken, "", http.StatusUnauthorized},
		{"endpoint off without a token", "", "Bearer " + alertToken, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newAlertRig(t, tt.token)
			req, _ := http.NewRequest(http.MethodPost, r.http.URL+"/alertmanager", bytes.NewReader(body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.want)
			}
			if calls := r.gh.Calls(); len(calls) != 0 {
				t.Errorf("GitHub calls %v, want none", calls)
			}
		})
	}
}
