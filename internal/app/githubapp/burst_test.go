package githubapp

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

// TestBurstOfCommandsIsQueuedNotRefused: 300 command comments delivered at
// once, against a GitHub that takes 50 ms to answer, with the default queue:
// every delivery is answered 2xx, every command gets exactly one reply.
func TestBurstOfCommandsIsQueuedNotRefused(t *testing.T) {
	t.Parallel()
	const n = 300
	r := newRigWith(t, func(cfg *Config, gh *ghfake.Server) {
		cfg.Workers, cfg.QueueSize = 25, 0 // the default queue, far more deliveries than workers
		gh.Latency = 50 * time.Millisecond
	})
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
			commentBody(fmt.Sprintf("/rollout prompt-%02d status", i%20+1)), byUser("alice", "User"),
			func(m map[string]any) { m["comment"].(map[string]any)["id"] = 5000 + i })
		wg.Go(func() { statuses[i] = r.deliver(t, fmt.Sprintf("burst-%d", i), "issue_comment", body, testSecret) })
	}
	wg.Wait()
	r.drain(t)
	for i, st := range statuses {
		if st < 200 || st > 299 {
			t.Errorf("delivery %d answered %d, want 2xx", i, st)
		}
	}
	replies := map[string]int{}
	for _, c := range r.gh.Comments() {
		replies[firstLine(c.Body)]++
	}
	total := 0
	for _, c := range replies {
		total += c
	}
	if total != n {
		t.Errorf("%d replies for %d commands: %v", total, n, replies)
	}
	// Each flag was asked about 15 times and must be answered 15 times.
	for k, c := range replies {
		if c != n/20 {
			t.Errorf("reply %q posted %d times, want %d", k, c, n/20)
		}
	}
	calls := r.gh.Calls()
	t.Logf("%d GitHub API calls for %d status commands (%.1f each)", len(calls), n, float64(len(calls))/n)
}

func firstLine(s string) string { first, _, _ := strings.Cut(s, "\n"); return first }
