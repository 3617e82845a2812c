package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestCheckKeepsProviderConcurrency: with providers.default.concurrency: 32
// at base and head and no --concurrency, a check affecting 3,000 case runs
// (30 prompts × 50 cases, at base and at head) has 32 calls in flight at the
// chat fake, as eval has, not the runner's default of 8. The fake holds the
// first requests until 32 are in flight (or 10 s pass), so the peak does not
// depend on how loaded the machine is; it never exceeds the provider's 32.
func TestCheckKeepsProviderConcurrency(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("3,000 case runs")
	}
	fake := llmfake.New(llmfake.Options{Latency: 20 * time.Millisecond, Gather: 32})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	dir, base, head := fakeModelRepo(t, srv.URL, "    concurrency: 32\n", 30, 50, nil)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--head", head, "--cache-dir", t.TempDir()},
		func(string) string { return "" }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if n := fake.Requests.Load(); n != 3000 {
		t.Errorf("%d requests, want 3000", n)
	}
	if peak := fake.Peak.Load(); peak != 32 {
		t.Errorf("at most %d calls in flight, want the provider's concurrency of 32", peak)
	}
}

// BenchmarkCheckVsEval compares a check affecting 3,000 case runs (30 prompts
// × 50 cases at base and at head) with eval of 3,000 case runs (30 prompts ×
// 100 cases), both at the provider's concurrency of 32 against 20 ms answers,
// and reports the ratio of their wall times (goal: check ≤ 1.5× eval).
//
//	go test -run '^$' -bench CheckVsEval -benchtime 3x ./internal/cli/
func BenchmarkCheckVsEval(b *testing.B) {
	fake := llmfake.New(llmfake.Options{Latency: 20 * time.Millisecond})
	srv := httptest.NewServer(fake)
	b.Cleanup(srv.Close)
	checkDir, base, head := fakeModelRepo(b, srv.URL, "    concurrency: 32\n", 30, 50, nil)
	evalDir, _, _ := fakeModelRepo(b, srv.URL, "    concurrency: 32\n", 30, 100, nil)
	getenv := func(string) string { return "" }
	var checkTime, evalTime time.Duration
	for b.Loop() {
		var out bytes.Buffer
		start := time.Now()
		if code := Main(context.Background(), []string{"check", "-C", checkDir, "--base", base, "--head", head, "--cache-dir", b.TempDir()}, getenv, &out, &out); code != ExitOK {
			b.Fatalf("check exit %d\n%s", code, out.String())
		}
		checkTime += time.Since(start)
		// Both record every answer in a fresh response cache.
		if err := os.RemoveAll(filepath.Join(evalDir, ".promptgate")); err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		if code := Main(context.Background(), []string{"eval", "-C", evalDir}, getenv, &out, &out); code != ExitOK {
			b.Fatalf("eval exit %d\n%s", code, out.String())
		}
		evalTime += time.Since(start)
	}
	b.ReportMetric(checkTime.Seconds()/float64(b.N), "check-s/op")
	b.ReportMetric(evalTime.Seconds()/float64(b.N), "eval-s/op")
	b.ReportMetric(checkTime.Seconds()/evalTime.Seconds(), "check/eval")
}
