package ratelimit

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/testkit"
)

func newTestLimiter(o Options) (*Limiter, *testkit.Clock) {
	c := testkit.NewClock(now)
	o.Now, o.Sleep = c.Now, c.Sleep
	return New(o), c
}

func acquire(t *testing.T, l *Limiter, tokens int) *Ticket {
	t.Helper()
	tk, err := l.Acquire(context.Background(), tokens)
	if err != nil {
		t.Fatalf("Acquire: %v", err)
	}
	return tk
}

func ok200(h http.Header) Outcome { return Outcome{Status: http.StatusOK, Header: h} }

// roundWaits rounds to the millisecond so float rates compare exactly.
func roundWaits(ws []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ws))
	for i, w := range ws {
		out[i] = w.Round(time.Millisecond)
	}
	return out
}

func TestPacing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts Options
		// run drives the limiter sequentially.
		run       func(t *testing.T, l *Limiter)
		wantWaits []time.Duration
		wantStats Stats
	}{
		{
			name: "learned request limit paces at 97% of it",
			opts: Options{MaxConcurrency: 4},
			run: func(t *testing.T, l *Limiter) {
				l.Done(acquire(t, l, 0), ok200(http.Header{"X-Ratelimit-Limit-Requests": {"600"}}))
				for range 3 {
					l.Done(acquire(t, l, 0), ok200(nil))
				}
			},
			// 600/min at 97% is 9.7/s: one call every 103 ms.
			wantWaits: []time.Duration{103 * time.Millisecond, 103 * time.Millisecond, 103 * time.Millisecond},
			wantStats: Stats{RPM: 600, Window: 4, Waits: 3, Waited: 309278350 * time.Nanosecond}, // 3 × 1/9.7 s
		},
		{
			name: "configured limit paces from the first call and ignores headers",
			opts: Options{MaxConcurrency: 4, RPM: 120},
			run: func(t *testing.T, l *Limiter) {
				l.Done(acquire(t, l, 0), ok200(http.Header{"X-Ratelimit-Limit-Requests": {"6000"}}))
				l.Done(acquire(t, l, 0), ok200(nil))
			},
			wantWaits: []time.Duration{500 * time.Millisecond, 500 * time.Millisecond},
			wantStats: Stats{RPM: 120, Window: 4, Waits: 2, Waited: time.Second},
		},
		{
			name: "tokens are paced by estimate, corrected by reported usage",
			opts: Options{MaxConcurrency: 4, TPM: 600},
			run: func(t *testing.T, l *Limiter) {
				// 10 tokens/s from an empty bucket: 5 estimated wait 0.5 s.
				tk := acquire(t, l, 5)
				// The server counted 10: the 5 missed are debited, and
				// estimates are doubled from now on, so the next 5 cost 10
				// on top of the 5 owed: 1.5 s.
				l.Done(tk, Outcome{Status: http.StatusOK, Tokens: 10})
				l.Done(acquire(t, l, 5), ok200(nil))
			},
			wantWaits: []time.Duration{500 * time.Millisecond, 1500 * time.Millisecond},
			wantStats: Stats{TPM: 600, Window: 4, Waits: 2, Waited: 2 * time.Second},
		},
		{
			name: "an estimate above the reported usage is scaled down",
			opts: Options{MaxConcurrency: 4, TPM: 600},
			run: func(t *testing.T, l *Limiter) {
				// 10 tokens/s from an empty bucket: 10 estimated wait 1 s.
				tk := acquire(t, l, 10)
				// The server counted 5: estimates are halved from now on,
				// so the next 10 are charged 5, a 0.5 s wait, and pacing
				// converges on the real limit instead of staying careful.
				l.Done(tk, Outcome{Status: http.StatusOK, Tokens: 5})
				l.Done(acquire(t, l, 10), ok200(nil))
			},
			wantWaits: []time.Duration{time.Second, 500 * time.Millisecond},
			wantStats: Stats{TPM: 600, Window: 4, Waits: 2, Waited: 1500 * time.Millisecond},
		},
		{
			name: "429 with retry-after-ms pauses the next call",
			opts: Options{MaxConcurrency: 4},
			run: func(t *testing.T, l *Limiter) {
				l.Done(acquire(t, l, 0), Outcome{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After-Ms": {"300"}}})
				l.Done(acquire(t, l, 0), ok200(nil))
			},
			wantWaits: []time.Duration{300 * time.Millisecond},
			wantStats: Stats{Window: 2, Throttled: 1, Waits: 1, Waited: 300 * time.Millisecond},
		},
		{
			name: "exhausted budget holds the next call for one call's share of the reset",
			opts: Options{MaxConcurrency: 4},
			run: func(t *testing.T, l *Limiter) {
				l.Done(acquire(t, l, 0), ok200(http.Header{"X-Ratelimit-Limit-Requests": {"60000"},
					"X-Ratelimit-Remaining-Requests": {"0"}, "X-Ratelimit-Reset-Requests": {"1s"}}))
				l.Done(acquire(t, l, 0), ok200(nil))
			},
			// 60,000/min is 1 ms a call; the pause rounds up by 1 ms.
			wantWaits: []time.Duration{2 * time.Millisecond},
			wantStats: Stats{RPM: 60000, Window: 4, Waits: 1, Waited: 2 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, c := newTestLimiter(tt.opts)
			tt.run(t, l)
			if diff := cmp.Diff(tt.wantWaits, roundWaits(c.Waits())); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			got := l.Stats()
			got.Waited = got.Waited.Round(time.Millisecond)
			tt.wantStats.Waited = tt.wantStats.Waited.Round(time.Millisecond)
			if diff := cmp.Diff(tt.wantStats, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWindow: a round of 429s halves the window once; a full window then
// blocks; successes grow it back to the maximum.
func TestWindow(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(Options{MaxConcurrency: 8})
	var round []*Ticket
	for range 8 {
		round = append(round, acquire(t, l, 0))
	}
	for _, tk := range round {
		l.Done(tk, Outcome{Status: http.StatusTooManyRequests})
	}
	if s := l.Stats(); s.Window != 4 || s.Throttled != 8 {
		t.Fatalf("after a round of 8 429s: window %d, throttled %d; want 4 and 8", s.Window, s.Throttled)
	}
	var held []*Ticket
	for range 4 {
		held = append(held, acquire(t, l, 0))
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Acquire(done, 0); err == nil {
		t.Fatal("a fifth call got a slot in a window of 4")
	}
	// A 429 for a call sent after the cut cuts again.
	l.Done(held[0], Outcome{Status: http.StatusTooManyRequests})
	if s := l.Stats(); s.Window != 2 {
		t.Fatalf("window %d after a 429 from the next round, want 2", s.Window)
	}
	for _, tk := range held[1:] {
		l.Done(tk, ok200(nil))
	}
	for range 100 {
		l.Done(acquire(t, l, 0), ok200(nil))
	}
	if s := l.Stats(); s.Window != 8 {
		t.Errorf("window %d after 100 successes, want back at the maximum 8", s.Window)
	}
}

// TestWaitingCallGetsFreedSlot: a call blocked on a full window proceeds
// when a slot frees.
func TestWaitingCallGetsFreedSlot(t *testing.T) {
	t.Parallel()
	l, _ := newTestLimiter(Options{MaxConcurrency: 1})
	first := acquire(t, l, 0)
	got := make(chan error)
	go func() {
		tk, err := l.Acquire(context.Background(), 0)
		if err == nil {
			l.Done(tk, ok200(nil))
		}
		got <- err
	}()
	l.Done(first, ok200(nil))
	if err := <-got; err != nil {
		t.Fatal(err)
	}
}
