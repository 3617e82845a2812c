package rollout

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

const guardedFlags = `{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "summarize": {
      "state": "ENABLED",
      "variants": {"stable": "support/summarize", "canary": "support/summarize.concise"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 95], ["canary", 5]]}
    },
    "classify": {
      "state": "ENABLED",
      "variants": {"stable": "sentiment/classify", "canary": "sentiment/classify.short"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 95], ["canary", 5]]}
    }
  }
}
`

// Analysis queries as a user writes them, with %[1]s for the flag and %[2]s
// for the variant. They read a minute, not a few seconds: a loaded
// Prometheus misses 1 s scrapes, and a short window then holds no data,
// which holds a rollout (two holds roll it back).
const (
	errorRatioQuery = `sum(rate(app_errors_total{feature_flag_key="%[1]s",feature_flag_result_variant="%[2]s"}[1m]))` +
		` / sum(rate(app_requests_total{feature_flag_key="%[1]s",feature_flag_result_variant="%[2]s"}[1m]))`
	requestRateQuery = `sum(rate(app_requests_total{feature_flag_key="%[1]s",feature_flag_result_variant="%[2]s"}[1m]))`
)

// guardedYAML is promptgate.yaml with two analysis metrics: the canary's
// error rate, held to at most 50% above the stable variant's, and its
// request rate, at least 1 a second.
func guardedYAML(promURL string) string {
	return baseYAML + "  prometheus_url: " + promURL + "\n" + `  analysis:
    - name: error_rate
      query: ` + fmt.Sprintf(errorRatioQuery, "{{flag}}", "{{variant}}") + `
      max_increase_pct: 50
    - name: requests_per_second
      query: ` + fmt.Sprintf(requestRateQuery, "{{flag}}", "{{variant}}") + `
      min: 1
`
}

// waitAnalysable waits until both analysis queries answer for both variants
// of each flag as healthy traffic makes them: an error ratio (right from the
// window's second sample on) and a request rate of at least 1.
func waitAnalysable(t *testing.T, prom *promtest.Prometheus, flags ...string) {
	t.Helper()
	for _, f := range flags {
		for _, v := range []string{"stable", "canary"} {
			prom.WaitFor(t, fmt.Sprintf(errorRatioQuery, f, v), func(r float64) bool { return r > 0 })
			prom.WaitFor(t, fmt.Sprintf(requestRateQuery, f, v), func(r float64) bool { return r >= 1 })
		}
	}
}

// countingTransport counts requests to Prometheus.
type countingTransport struct{ n atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestGuardedRollout runs /rollout, /rollback and status against a real
// Prometheus scraping per-variant counters: summarize's canary fails twice as
// often as its stable variant, classify's canary is healthy.
func TestGuardedRollout(t *testing.T) {
	t.Parallel()
	exp := promtest.NewExporter(t)
	healthy := promtest.Traffic{RequestsPerSec: 40, ErrorRatio: 0.01, Latency: 150 * time.Millisecond, CostUSD: 0.001}
	bad := healthy
	bad.ErrorRatio = 0.02
	exp.Set("summarize", "stable", healthy)
	exp.Set("summarize", "canary", bad)
	exp.Set("classify", "stable", healthy)
	exp.Set("classify", "canary", healthy)
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{exp.Target()}})
	waitAnalysable(t, prom, "summarize", "classify")

	tests := []struct {
		name    string
		body    string
		setPct  int // -1: no commit
		queries bool
		start   int // the flags' share before the command: 0 or 5
		want    []string
	}{
		{name: "bad canary refused", start: 5, body: "/rollout summarize 25%", setPct: -1, queries: true,
			want: []string{"refused by rule **rollout.analysis**", "5% → 25%", "| metric | stable | canary | bound | verdict |", "| error\\_rate |", "❌ fail", "≤ stable +50%"}},
		{name: "healthy canary goes through", start: 5, body: "/rollout classify 25%", setPct: 25, queries: true,
			want: []string{"🚀 Rolled out `classify`: **5% → 25%**", "| metric | stable | canary | bound | verdict |", "✅ pass", "2 passed"}},
		{name: "first exposure from 0% has nothing to analyse", body: "/rollout summarize 1%", setPct: 1, queries: false, start: 0,
			want: []string{"0% → 1%", "rollout.analysis did not run: at 0% the canary has served nobody yet"}},
		{name: "rollback never waits for analysis", start: 5, body: "/rollback summarize", setPct: 0, queries: false,
			want: []string{"↩️ Rolled back `summarize`: **5% → 0%**"}},
		{name: "lowering a share never waits for analysis", start: 5, body: "/rollout summarize 1%", setPct: 1, queries: false,
			want: []string{"5% → 1%"}},
		{name: "status shows the analysis", start: 5, body: "/rollout summarize status", setPct: -1, queries: true,
			want: []string{"📊 `summarize`", "| error\\_rate |", "❌ fail", "1 passed, 1 failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, guardedYAML(prom.URL))
			flags := []byte(guardedFlags)
			if tt.start == 0 {
				flags = bytes.ReplaceAll(flags, []byte(`["stable", 95], ["canary", 5]`), []byte(`["stable", 100], ["canary", 0]`))
			}
			gh.SetFile("main", flagsPath, flags)
			tr := &countingTransport{}
			s := &Service{Prometheus: &http.Client{Transport: tr, Timeout: time.Minute}}
			if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", tt.body), quiet()); err != nil {
				t.Fatal(err)
			}
			comments := gh.Comments()
			if len(comments) != 1 {
				t.Fatalf("comments = %+v, want one reply", comments)
			}
			for _, w := range tt.want {
				if !strings.Contains(comments[0].Body, w) {
					t.Errorf("reply lacks %q:\n%s", w, comments[0].Body)
				}
			}
			commits := gh.Commits()
			switch {
			case tt.setPct < 0 && len(commits) != 0:
				t.Errorf("commits = %d, want none", len(commits))
			case tt.setPct >= 0:
				if len(commits) != 1 {
					t.Fatalf("commits = %d, want 1", len(commits))
				}
				flag := strings.Fields(tt.body)[1]
				split, err := flagd.ReadSplit(commits[0].Content, flagd.JSON, flag)
				if err != nil || split.RolloutPct != tt.setPct {
					t.Errorf("committed %s at %d%% (%v), want %d%%", flag, split.RolloutPct, err, tt.setPct)
				}
			}
			if got := tr.n.Load() > 0; got != tt.queries {
				t.Errorf("queried Prometheus: %v, want %v", got, tt.queries)
			}
		})
	}
}
