package eval

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
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
	if got := fake.Peak(); got > int64(c) {
		tb.Fatalf("peak in-flight %d exceeds concurrency %d", got, c)
	}
	return d
}

// TestRunnerFillsConcurrency is the structural half of the speed bar: the runner
// keeps exactly C calls in flight and makes one call per case. The first C calls are
// held until all C have arrived, so a pool that never fills fails here instead of
// merely running slower. The wall-time half (N·L/C ratio) is BenchmarkRunner and
// scripts/bench-eval.sh: a timing bound inside go test -race flakes on 2 busy cores.
func TestRunnerFillsConcurrency(t *testing.T) {
	t.Parallel()
	const n, c = 200, 10
	var arrived atomic.Int64
	full := make(chan struct{})
	fake := newFakeChat(t, 0, func(k int64, req chatReq) (int, http.Header, string) {
		if k <= c {
			if arrived.Add(1) == c {
				close(full)
			}
			select {
			case <-full:
			case <-time.After(time.Minute):
				t.Errorf("only %d of %d calls ever in flight together", arrived.Load(), c)
			}
		}
		return 200, nil, completion(req.Model, "echo: "+lastUser(req.Messages), 20, 5)
	})
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(n, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, c, 0, "", llm.CacheOff), Concurrency: c}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	if got := rep.Suites[0].Passed; got != n {
		t.Errorf("passed %d of %d", got, n)
	}
	if got := fake.Requests(); got != n {
		t.Errorf("made %d calls for %d cases", got, n)
	}
	if got := fake.Peak(); got != c {
		t.Errorf("peak in-flight %d, want exactly the concurrency %d", got, c)
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
