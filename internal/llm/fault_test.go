package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestFaultyServer drives 300 calls at concurrency 10 against a server that
// answers 10% 429 with Retry-After: 1, 5% 500 and 2% truncated JSON, chosen
// by arrival number so the run is repeatable. Every call must end, as a
// correct response or a CallError, and waits after a 429 must honour
// Retry-After. Sleeps are scaled down 1000× so the test stays fast.
func TestFaultyServer(t *testing.T) {
	t.Parallel()
	const requests, limit = 300, 10
	var throttled atomic.Int64
	f := newFake(t, "k", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		switch {
		case n%10 == 0:
			throttled.Add(1)
			status(http.StatusTooManyRequests, "Retry-After", "1")(w)
		case n%20 == 3:
			status(http.StatusInternalServerError)(w)
		case n%50 == 7:
			truncated(w)
		default:
			time.Sleep(time.Millisecond)
			echo(n, body, w, r)
		}
	})
	var mu sync.Mutex
	var waits []time.Duration
	scaled := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		select {
		case <-time.After(d / 1000):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	// A stopped clock makes each wait for a 429 pause exactly Retry-After.
	stopped := time.Now()
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Sleep: scaled, Now: func() time.Time { return stopped },
		Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), APIKey: "k", Concurrency: limit, MaxRetries: 4}}})

	type result struct {
		resp llm.Response
		err  error
	}
	results := make([]result, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			msgs := []llm.Message{{Role: "user", Content: fmt.Sprint("case ", i)}}
			resp, err := c.Complete(context.Background(), llm.Request{Model: "gpt-4o-mini", Messages: msgs})
			results[i] = result{resp, err}
		})
	}
	wg.Wait()

	kinds := map[string]int{}
	retried, rateLimitedFinal := 0, 0
	for i, r := range results {
		var ce *llm.CallError
		switch {
		case r.err == nil:
			if want := fmt.Sprint("echo: case ", i); r.resp.Content != want {
				t.Errorf("request %d got %q, want %q", i, r.resp.Content, want)
			}
			kinds["ok"]++
			retried += r.resp.Retries
		case errors.As(r.err, &ce):
			kinds[ce.Kind.String()]++
			if ce.Kind == llm.RateLimited {
				rateLimitedFinal++
			}
		default:
			t.Errorf("request %d: error %v is not a *CallError", i, r.err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	honoured := 0
	for _, w := range waits {
		if w >= time.Second {
			honoured++
		}
		if w > 30*time.Second {
			t.Errorf("wait %v beyond the backoff cap", w)
		}
	}
	// Each 429 that was retried was followed by a wait of at least 1s.
	if retried429 := int(throttled.Load()) - rateLimitedFinal; honoured < retried429 {
		t.Errorf("%d waits of at least Retry-After, but %d throttled attempts were retried", honoured, retried429)
	}
	if got := f.Peak(); got > limit {
		t.Errorf("max in flight = %d, over the limit %d", got, limit)
	}
	t.Logf("outcomes %v; HTTP attempts %d (%d throttled); retries on successes %d; waits %d", kinds, c.Calls(), throttled.Load(), retried, len(waits))
	if kinds["ok"] < requests*9/10 {
		t.Errorf("only %d of %d calls succeeded with 4 retries each", kinds["ok"], requests)
	}
}
