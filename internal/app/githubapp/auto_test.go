package githubapp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

const autoFlags = `{
  "flags": {
    "summarize": {
      "state": "ENABLED",
      "variants": {"stable": "support/summarize", "canary": "support/summarize.concise"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 100], ["canary", 0]]}
    }
  }
}
`

// instance is one running `promptgate serve`.
type instance struct {
	url  string
	stop func()
}

func startServe(t *testing.T, cfg Config, logs *syncBuffer) instance {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, NewLogger(logs, slog.LevelDebug)) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return instance{url: "http://" + ln.Addr().String(), stop: stop}
}

func shares(t *testing.T, gh *ghfake.Server) []int {
	t.Helper()
	var out []int
	for _, c := range gh.Commits() {
		sp, err := flagd.ReadSplit(c.Content, flagd.JSON, "summarize")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sp.RolloutPct)
	}
	return out
}

// TestAutoRolloutSurvivesRestart starts /rollout summarize auto (2 s interval,
// real Prometheus) through a webhook on one serve, stops that serve at 10%,
// then starts two new ones that get no webhook at all: they find the rollout
// by listing the App's installations and carry it on from git. Every step is
// committed exactly once: none skipped, none repeated by the two replicas.
func TestAutoRolloutSurvivesRestart(t *testing.T) {
	t.Parallel()
	exp := promtest.NewExporter(t)
	healthy := promtest.Traffic{RequestsPerSec: 40, ErrorRatio: 0.01, Latency: 150 * time.Millisecond, CostUSD: 0.001}
	exp.Set("summarize", "stable", healthy)
	exp.Set("summarize", "canary", healthy)
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{exp.Target()}})
	// The analysis reads the error ratio over a minute, not a few seconds: on
	// a loaded machine Prometheus misses scrapes, a short window then holds no
	// data, and missing data holds the rollout (two holds roll it back). Both
	// variants serve the same traffic, so the ratio is right from the second
	// sample on, which is what the wait asks for.
	errorRatio := `sum(rate(app_errors_total{feature_flag_key="%s",feature_flag_result_variant="%s"}[1m])) / sum(rate(app_requests_total{feature_flag_key="%[1]s",feature_flag_result_variant="%[2]s"}[1m]))`
	for _, v := range []string{"stable", "canary"} {
		prom.WaitFor(t, fmt.Sprintf(errorRatio, "summarize", v), func(r float64) bool { return r > 0 })
	}

	_, pemBytes := appKey(t)
	gh := fakeRepo(t)
	gh.DefaultBranch = "master"
	gh.Installations["Codertocat/Hello-World"] = 1
	gh.SetFile("master", flagsPath, []byte(autoFlags))
	gh.SetFile("master", "promptgate.yaml", []byte("rollout:\n  flags_file: "+flagsPath+"\n  interval: 2s\n  prometheus_url: "+prom.URL+`
  analysis:
    - name: error_rate
      query: `+fmt.Sprintf(errorRatio, "{{flag}}", "{{variant}}")+`
      max_increase_pct: 50
`))
	logs := &syncBuffer{}
	cfg := Config{AppID: 42, PrivateKey: pemBytes, WebhookSecret: []byte(testSecret), APIURL: gh.URL, Workers: 2, QueueSize: 16,
		ShutdownTimeout: time.Minute, AutoPoll: 200 * time.Millisecond}

	first := startServe(t, cfg, logs)
	body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout summarize auto"), byUser("alice", "User"))
	if code := deliverTo(t, gh, first.url, "auto-1", "issue_comment", body, testSecret); code != http.StatusAccepted {
		t.Fatalf("/rollout summarize auto delivery: %d", code)
	}
	eventually(t, "the rollout to reach 10%", func() bool { s := shares(t, gh); return len(s) > 0 && s[len(s)-1] >= 10 }, logs.String)
	first.stop()
	atStop := shares(t, gh)

	// Two replicas, started without any webhook.
	second, third := startServe(t, cfg, logs), startServe(t, cfg, logs)
	eventually(t, "the rollout to finish", func() bool { s := shares(t, gh); return len(s) > 0 && s[len(s)-1] == 100 }, logs.String)
	// Give the replicas a few more sweeps to do anything they should not.
	time.Sleep(time.Second)
	second.stop()
	third.stop()

	if got, want := shares(t, gh), []int{1, 5, 10, 25, 50, 100}; !slices.Equal(got, want) {
		t.Fatalf("shares committed = %v (at the stop: %v), want %v\n%s", got, atStop, want, logs.String())
	}
	if len(atStop) >= 6 {
		t.Fatalf("the first serve finished the rollout (%v) before it was stopped", atStop)
	}
	md, err := flagd.ReadMeta(gh.File("master", flagsPath), flagd.JSON, "summarize")
	if err != nil || md["promptgateMode"] != "done" || md["promptgatePR"] != float64(1) {
		t.Errorf("metadata = %v (%v), want mode done for PR #1", md, err)
	}
	var steps int
	for _, c := range gh.Comments() {
		if c.Issue != 1 {
			t.Errorf("comment on #%d, want #1", c.Issue)
		}
		if strings.Contains(c.Body, "🤖 Automatic rollout of **summarize**") {
			steps++
		}
	}
	if steps != 5 {
		t.Errorf("step comments = %d, want 5 (one per step after the first)", steps)
	}
	if n := gh.Count(http.MethodGet, "/app/installations"); n != 3 {
		t.Errorf("GET /app/installations = %d, want one per serve", n)
	}
}
