package rollout

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/promtest"
)

// oneFlag is a flags file with flag at 0% between stable and canary.
func oneFlag(flag string) []byte {
	return []byte(`{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "` + flag + `": {
      "state": "ENABLED",
      "variants": {"stable": "support/summarize", "canary": "support/summarize.concise"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 100], ["canary", 0]]}
    }
  }
}
`)
}

// waitFor polls cond every 100 ms until it holds or promtest.Deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(promtest.Deadline); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// commitShares reads the flag's share in every commit at the fake, oldest first.
func commitShares(t *testing.T, gh *ghfake.Server, flag string) []int {
	t.Helper()
	var out []int
	for _, c := range gh.Commits() {
		sp, err := flagd.ReadSplit(c.Content, flagd.JSON, flag)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, sp.RolloutPct)
	}
	return out
}

// assertMinimalSteps checks that each commit changed only the fractional
// weights and the promptgate metadata of the previous version.
func assertMinimalSteps(t *testing.T, first []byte, commits []ghfake.Commit) {
	t.Helper()
	prev := first
	for i, c := range commits {
		old := map[string]bool{}
		for _, l := range strings.Split(string(prev), "\n") {
			old[l] = true
		}
		changed := 0
		for _, l := range strings.Split(string(c.Content), "\n") {
			if old[l] {
				continue
			}
			changed++
			if !strings.Contains(l, `"fractional"`) && !strings.Contains(l, `"promptgate`) {
				t.Errorf("commit %d changed line %q", i, l)
			}
		}
		if changed > 2 {
			t.Errorf("commit %d changed %d lines, want at most the weights and the metadata", i, changed)
		}
		prev = c.Content
	}
}

// TestAutoRolloutAgainstPrometheus runs /rollout f auto with a 2 s interval
// against a real Prometheus scraping per-variant counters.
func TestAutoRolloutAgainstPrometheus(t *testing.T) {
	t.Parallel()
	exp := promtest.NewExporter(t)
	healthy := promtest.Traffic{RequestsPerSec: 40, ErrorRatio: 0.01, Latency: 150 * time.Millisecond, CostUSD: 0.001}
	for _, f := range []string{"walk", "turn"} {
		exp.Set(f, "stable", healthy)
		exp.Set(f, "canary", healthy)
	}
	prom := promtest.StartPrometheus(t, promtest.PrometheusOptions{Targets: []string{exp.Target()}})
	waitAnalysable(t, prom, "walk", "turn")

	// run starts /rollout flag auto and a driver sweeping every 200 ms, while
	// gate (if any) allows: a sweep happens only after gate has read the
	// state the sweep before left.
	run := func(t *testing.T, flag string, gate func(gh *ghfake.Server) bool) (*ghfake.Server, context.CancelFunc) {
		gh := setup(t, guardedYAML(prom.URL)+"  interval: 2s\n")
		gh.SetFile("main", flagsPath, oneFlag(flag))
		s := &Service{Prometheus: &http.Client{Timeout: time.Minute}}
		d := NewDriver(s, quiet())
		if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout "+flag+" auto"), quiet()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		tick := time.NewTicker(200 * time.Millisecond)
		done := make(chan struct{})
		go func() {
			defer close(done)
			if gate == nil {
				d.Run(ctx, tick.C)
				return
			}
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if gate(gh) {
						d.Sweep(ctx)
					}
				}
			}
		}()
		stop := func() { cancel(); <-done; tick.Stop() }
		t.Cleanup(stop)
		return gh, stop
	}

	t.Run("healthy canary walks every step", func(t *testing.T) {
		t.Parallel()
		gh, stop := run(t, "walk", nil)
		waitFor(t, "the automatic rollout to finish", func() bool { st, _ := autoOf(t, gh, "walk"); return st.Mode == ModeDone })
		stop()
		if got, want := commitShares(t, gh, "walk"), []int{1, 5, 10, 25, 50, 100}; !slices.Equal(got, want) {
			t.Fatalf("shares committed = %v, want %v", got, want)
		}
		assertMinimalSteps(t, oneFlag("walk"), gh.Commits())
		for i, c := range gh.Commits() {
			pct := []int{1, 5, 10, 25, 50, 100}[i]
			if got := flagdShare(t, c.Content, flagd.JSON, "walk"); math.Abs(got-float64(pct)) > 2 {
				t.Errorf("commit %d: flagd serves canary to %.1f%%, want %d%% ± 2", i, got, pct)
			}
		}
		comments := gh.Comments()
		if len(comments) != 6 {
			t.Fatalf("comments = %d, want the reply and one per step", len(comments))
		}
		for i, want := range []string{"0% → 1%", "1% → 5%", "5% → 10%", "10% → 25%", "25% → 50%", "50% → 100%"} {
			if !strings.Contains(comments[i].Body, want) {
				t.Errorf("comment %d lacks %q:\n%s", i, want, comments[i].Body)
			}
		}
		if last := comments[5].Body; !strings.Contains(last, "automatic rollout of **walk** is done") || !strings.Contains(last, "✅ pass") {
			t.Errorf("last comment:\n%s", last)
		}
	})

	t.Run("canary that turns bad is rolled back after two failed analyses", func(t *testing.T) {
		t.Parallel()
		// The driver pauses at 10% until Prometheus answers the canary's
		// error ratio over the analysis window as failing, so the steps
		// after it see the bad canary however late a loaded Prometheus
		// scrapes; the data only gets worse from there.
		var resumed atomic.Bool
		gh, stop := run(t, "turn", func(gh *ghfake.Server) bool {
			sp, err := flagd.ReadSplit(gh.File("main", flagsPath), flagd.JSON, "turn")
			return resumed.Load() || (err == nil && sp.RolloutPct < 10)
		})
		waitFor(t, "the rollout to reach 10%", func() bool { _, pct := autoOf(t, gh, "turn"); return pct >= 10 })
		bad := healthy
		bad.ErrorRatio = 0.2
		exp.Set("turn", "canary", bad)
		prom.WaitFor(t, fmt.Sprintf(errorRatioQuery, "turn", "canary"), func(r float64) bool { return r > 0.03 })
		resumed.Store(true)
		waitFor(t, "the rollback", func() bool { st, _ := autoOf(t, gh, "turn"); return st.Mode == ModeRolledBack })
		stop()
		shares := commitShares(t, gh, "turn")
		n := len(shares)
		if n < 5 || shares[n-1] != 0 || shares[n-2] != shares[n-3] || shares[n-2] < 10 {
			t.Fatalf("shares committed = %v, want raises, one hold, then 0%%", shares)
		}
		for i := 1; i < n-2; i++ {
			if shares[i] <= shares[i-1] {
				t.Errorf("shares committed = %v: a raise expected before the failures", shares)
			}
		}
		assertMinimalSteps(t, oneFlag("turn"), gh.Commits())
		st, _ := autoOf(t, gh, "turn")
		if st.Failures != 2 || st.Verdict != "fail" {
			t.Errorf("state = %+v, want 2 failures, verdict fail", st)
		}
		c := gh.Comments()
		if hold, last := c[len(c)-2].Body, c[len(c)-1].Body; !strings.Contains(hold, "holds at") || !strings.Contains(hold, "❌ fail") ||
			!strings.Contains(last, "↩️ Rolled back **turn**") || !strings.Contains(last, "2 times in a row") {
			t.Errorf("last two comments:\n%s\n---\n%s", hold, last)
		}
		if got := flagdShare(t, gh.File("main", flagsPath), flagd.JSON, "turn"); got != 0 {
			t.Errorf("flagd serves canary to %.1f%% after the rollback", got)
		}
	})
}
