package rollout

import (
	"bytes"
	"context"
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

// guardedYAML is promptgate.yaml with one analysis metric, the canary's error
// rate, held to at most 50% above the stable variant's.
func guardedYAML(promURL string) string {
	return baseYAML + "  prometheus_url: " + promURL + "\n" + `  analysis:
    - name: error_rate
      query: >-
        sum(rate(app_errors_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[5s]))
        / sum(rate(app_requests_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[5s]))
      max_increase_pct: 50
    - name: requests_per_second
      query: sum(rate(app_requests_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[5s]))
      min: 1
`
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
	prom.WaitScraped(t, 4)

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
