package eval

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// runAgainstLatency evaluates n cases against a fake with fixed latency at
// concurrency c, without the cache, and returns the wall time.
func runAgainstLatency(tb testing.TB, n, c int, latency time.Duration) time.Duration {
	tb.Helper()
	fake := newFakeChat(tb, latency, nil)
	set, suites := fixture(tb, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(n, "")})
	r := &Runner{Prompts: set, Client: newClient(tb, fake.URL, c, 0, "", llm.CacheOff), Concurrency: c}
	start := time.Now()
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		tb.Fatal(err)
	}
	d := time.Since(start)
	if rep.Suites[0].Passed != n {
		tb.Fatalf("passed %d of %d", rep.Suites[0].Passed, n)
	}
	if got := fake.peak.Load(); got > int64(c) {
		tb.Fatalf("peak in-flight %d exceeds concurrency %d", got, c)
	}
	return d
}

// TestThroughputNearIdeal is the speed bar: 500 cases at L=100ms and C=10
// finish within 1.10 × N·L/C = 5.5s.
func TestThroughputNearIdeal(t *testing.T) {
	if testing.Short() {
		t.Skip("takes ~5s")
	}
	const n, c, latency = 500, 10, 100 * time.Millisecond
	ideal := time.Duration(n/c) * latency
	d := runAgainstLatency(t, n, c, latency)
	t.Logf("500 cases, L=100ms, C=10: %v (ideal %v, ratio %.3f)", d, ideal, float64(d)/float64(ideal))
	if d > ideal*110/100 {
		t.Errorf("took %v, want ≤ %v (1.10 × N·L/C)", d, ideal*110/100)
	}
}

// BenchmarkRunner reports wall time per run against ideal N·L/C as the ratio metric.
func BenchmarkRunner(b *testing.B) {
	for _, tc := range []struct {
		n, c    int
		latency time.Duration
	}{{100, 10, 20 * time.Millisecond}, {500, 10, 100 * time.Millisecond}, {1000, 50, 10 * time.Millisecond}} {
		b.Run(fmt.Sprintf("N=%d/C=%d/L=%v", tc.n, tc.c, tc.latency), func(b *testing.B) {
			ideal := time.Duration(tc.n/tc.c) * tc.latency
			var total time.Duration
			for b.Loop() {
				total += runAgainstLatency(b, tc.n, tc.c, tc.latency)
			}
			b.ReportMetric(float64(total)/float64(b.N)/float64(ideal), "x_ideal")
			b.ReportMetric(float64(tc.n)*float64(b.N)/total.Seconds(), "cases/s")
		})
	}
}

// BenchmarkRunnerNoLatency measures the runner's own overhead per case.
func BenchmarkRunnerNoLatency(b *testing.B) {
	fake := newFakeChat(b, 0, nil)
	set, suites := fixture(b, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(200, "")})
	r := &Runner{Prompts: set, Client: newClient(b, fake.URL, 8, 0, "", llm.CacheOff), Concurrency: 8}
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Run(context.Background(), suites); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed())/float64(b.N*200), "ns/case")
}
