package analysis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

// Queries as a user writes them against the OpenFeature-labelled metrics.
var liveMetrics = []config.AnalysisMetric{
	{Name: "error_rate", MaxIncreasePct: ptr(50), Query: `sum(rate(app_errors_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m]))` +
		` / sum(rate(app_requests_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m]))`},
	{Name: "p95_latency_seconds", Max: ptr(1), Query: `histogram_quantile(0.95, sum by (le) (rate(app_request_duration_seconds_bucket{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m])))`},
	{Name: "cost_per_request_usd", MaxIncreasePct: ptr(20), Query: `sum(rate(app_cost_usd_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m]))` +
		` / sum(rate(app_requests_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m]))`},
	{Name: "requests_per_second", Min: ptr(1), Query: `sum(rate(app_requests_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{variant}}"}[1m]))`},
}

// TestRunAgainstPrometheus runs the analysis against a real Prometheus scraping
// the test exporter: a canary with twice the stable error rate fails, a healthy
// one passes, and a flag without traffic is inconclusive.
func TestRunAgainstPrometheus(t *testing.T) {
	t.Parallel()
	exp := promtest.NewExporter(t)
	stable := promtest.Traffic{RequestsPerSec: 50, ErrorRatio: 0.01, Latency: 200 * time.Millisecond, CostUSD: 0.002}
	exp.Set("summarize", "stable", stable)
	bad := stable
	bad.ErrorRatio = 0.02
	exp.Set("summarize", "canary", bad)
	exp.Set("classify", "stable", stable)
	exp.Set("classify", "canary", stable)
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{exp.Target()}})
	// The queries read a minute, not a few seconds: a loaded Prometheus
	// misses 1 s scrapes, and a short window then holds no data. The ratios
	// (error rate, cost per request, the latency quantile) are right from a
	// window's second sample on; the request rate only once the minute is
	// nearly full, so the wait asks each query for the value it will be
	// checked against.
	for _, f := range []string{"summarize", "classify"} {
		for _, v := range []string{"stable", "canary"} {
			for _, m := range liveMetrics {
				ok := func(x float64) bool { return x > 0 }
				if m.Name == "requests_per_second" {
					ok = func(x float64) bool { return x >= 45 }
				}
				prom.WaitFor(t, strings.NewReplacer("{{flag}}", f, "{{variant}}", v).Replace(m.Query), ok)
			}
		}
	}

	a, err := New(prom.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		flag string
		want map[string]Verdict
	}{
		{"summarize", map[string]Verdict{"error_rate": Fail, "p95_latency_seconds": Pass, "cost_per_request_usd": Pass, "requests_per_second": Pass}},
		{"classify", map[string]Verdict{"error_rate": Pass, "p95_latency_seconds": Pass, "cost_per_request_usd": Pass, "requests_per_second": Pass}},
		{"no-traffic", map[string]Verdict{"error_rate": Inconclusive, "p95_latency_seconds": Inconclusive, "cost_per_request_usd": Inconclusive, "requests_per_second": Inconclusive}},
	}
	for _, tt := range tests {
		t.Run(tt.flag, func(t *testing.T) {
			res := a.Run(context.Background(), liveMetrics, tt.flag, "stable", "canary")
			got := map[string]Verdict{}
			for _, r := range res.Rows {
				got[r.Metric.Name] = r.Verdict
			}
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s: %s, want %s\n%s", name, got[name], want, res.Markdown())
				}
			}
			if tt.flag == "summarize" {
				er := res.Rows[0]
				if er.Stable.V < 0.005 || er.Stable.V > 0.015 || er.Rollout.V < 0.015 || er.Rollout.V > 0.025 {
					t.Errorf("error rates stable %g canary %g, want about 0.01 and 0.02", er.Stable.V, er.Rollout.V)
				}
				if rps := res.Rows[3].Rollout.V; rps < 40 || rps > 60 {
					t.Errorf("requests per second %g, want about 50", rps)
				}
			}
		})
	}
}
