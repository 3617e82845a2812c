package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// step is one scripted server answer.
type step func(w http.ResponseWriter)

func status(code int, header ...string) step {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		apiError(w, code, http.StatusText(code))
	}
}

var (
	ok      step = func(w http.ResponseWriter) { answer(w, "fine", 3, 1) }
	cut     step = truncated
	noChoix step = func(w http.ResponseWriter) { fmt.Fprint(w, `{"id":"x","choices":[]}`) }
	quota   step = func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}`)
	}
	html502 step = func(w http.ResponseWriter) {
		w.WriteHeader(http.StatusBadGateway)
		fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
	}
)

func TestRetries(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		maxRetries  int
		script      []step
		wantErr     llm.ErrorKind // 0: success
		wantStatus  int
		wantCalls   int64
		wantMinWait []time.Duration // lower bound of each recorded wait
		wantInErr   string
		// rateLimitWait is the provider's bound on waiting out 429s; 0 is the default.
		rateLimitWait time.Duration
	}{
		{name: "429 honours Retry-After seconds", maxRetries: 2,
			script: []step{status(429, "Retry-After", "7"), ok}, wantCalls: 2, wantMinWait: []time.Duration{7 * time.Second}},
		{name: "429 honours Retry-After date", maxRetries: 2,
			script:    []step{status(429, "Retry-After", now.Add(90*time.Second).Format(http.TimeFormat)), ok},
			wantCalls: 2, wantMinWait: []time.Duration{90 * time.Second}},
		{name: "503 honours retry-after-ms", maxRetries: 2,
			script: []step{status(503, "Retry-After-Ms", "1500"), ok}, wantCalls: 2, wantMinWait: []time.Duration{1500 * time.Millisecond}},
		{name: "500 then success", maxRetries: 2, script: []step{status(500), ok}, wantCalls: 2, wantMinWait: []time.Duration{0}},
		{name: "truncated JSON then success", maxRetries: 2, script: []step{cut, ok}, wantCalls: 2, wantMinWait: []time.Duration{0}},
		{name: "no choices then success", maxRetries: 2, script: []step{noChoix, ok}, wantCalls: 2, wantMinWait: []time.Duration{0}},
		{name: "408 is a timeout and retried", maxRetries: 1, script: []step{status(408), ok}, wantCalls: 2, wantMinWait: []time.Duration{0}},
		{name: "retries exhausted on 503", maxRetries: 2,
			script:  []step{status(503), status(503), status(503)},
			wantErr: llm.Server, wantStatus: 503, wantCalls: 3, wantMinWait: []time.Duration{0, 0}, wantInErr: "after 3 attempts"},
		{name: "429 does not count against max_retries", maxRetries: 0,
			script:    []step{status(429, "Retry-After", "2"), status(429, "Retry-After-Ms", "3000"), ok},
			wantCalls: 3, wantMinWait: []time.Duration{2 * time.Second, 3 * time.Second}},
		{name: "429 without a hint backs off", maxRetries: 0, script: []step{status(429), ok}, wantCalls: 2, wantMinWait: []time.Duration{0}},
		{name: "429 past rate_limit_wait ends the call", maxRetries: 4, rateLimitWait: 5 * time.Second,
			script:  []step{status(429, "Retry-After", "2"), status(429, "Retry-After", "2"), status(429, "Retry-After", "2")},
			wantErr: llm.RateLimited, wantStatus: 429, wantCalls: 3, wantMinWait: []time.Duration{2 * time.Second, 2 * time.Second},
			wantInErr: "refused with HTTP 429 3 times over 4s of waiting; a call waits out rate limiting for at most 5s, set by providers.default.rate_limit_wait"},
		{name: "429 insufficient_quota is final", maxRetries: 4, script: []step{quota},
			wantErr: llm.RateLimited, wantStatus: 429, wantCalls: 1, wantInErr: "exceeded your current quota"},
		{name: "retries exhausted on truncated JSON", maxRetries: 1,
			script: []step{cut, cut}, wantErr: llm.BadResponse, wantStatus: 200, wantCalls: 2, wantMinWait: []time.Duration{0},
			wantInErr: "malformed response body"},
		{name: "HTML error page is shown briefly", maxRetries: 0,
			script: []step{html502}, wantErr: llm.Server, wantStatus: 502, wantCalls: 1, wantInErr: "502 Bad Gateway"},
		{name: "zero MaxRetries makes one attempt", maxRetries: 0, script: []step{status(500)}, wantErr: llm.Server, wantStatus: 500, wantCalls: 1},
		{name: "400 not retried", maxRetries: 4, script: []step{status(400)}, wantErr: llm.BadRequest, wantStatus: 400, wantCalls: 1},
		{name: "401 not retried", maxRetries: 4, script: []step{status(401)}, wantErr: llm.Auth, wantStatus: 401, wantCalls: 1},
		{name: "403 not retried", maxRetries: 4, script: []step{status(403)}, wantErr: llm.Auth, wantStatus: 403, wantCalls: 1},
		{name: "404 not retried", maxRetries: 4, script: []step{status(404)}, wantErr: llm.BadRequest, wantStatus: 404, wantCalls: 1},
		{name: "Retry-After beyond the limit ends the call", maxRetries: 4,
			script:  []step{status(429, "Retry-After", "3600")},
			wantErr: llm.RateLimited, wantStatus: 429, wantCalls: 1, wantInErr: "longer than the 5m0s limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "k", func(n int, _ chatBody, w http.ResponseWriter, _ *http.Request) {
				if n > len(tt.script) {
					t.Errorf("request %d beyond the script of %d", n, len(tt.script))
					apiError(w, http.StatusTeapot, "unscripted")
					return
				}
				tt.script[n-1](w)
			})
			sl := &noSleep{}
			c := newClient(t, llm.Options{Mode: llm.CacheOff, Sleep: sl.sleep, Now: func() time.Time { return now },
				Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), APIKey: "k", MaxRetries: tt.maxRetries, RateLimitWait: tt.rateLimitWait}}})
			resp, err := c.Complete(context.Background(), llm.Request{Model: "gpt-4o", Messages: userMsg})
			if tt.wantErr == 0 {
				if err != nil {
					t.Fatalf("Complete: %v", err)
				}
				if resp.Content != "fine" || resp.Retries != int(tt.wantCalls)-1 {
					t.Errorf("response %q with %d retries, want \"fine\" with %d", resp.Content, resp.Retries, tt.wantCalls-1)
				}
			} else {
				var ce *llm.CallError
				if !errors.As(err, &ce) {
					t.Fatalf("err = %v, want a *CallError", err)
				}
				got := [4]any{ce.Kind, ce.Status, ce.Attempts, ce.Provider + "/" + ce.Model}
				want := [4]any{tt.wantErr, tt.wantStatus, int(tt.wantCalls), "default/gpt-4o"}
				if got != want {
					t.Errorf("CallError kind, status, attempts, call = %v, want %v", got, want)
				}
				if !strings.Contains(err.Error(), tt.wantInErr) {
					t.Errorf("error %q does not contain %q", err, tt.wantInErr)
				}
			}
			if c.Calls() != tt.wantCalls {
				t.Errorf("Calls = %d, want %d", c.Calls(), tt.wantCalls)
			}
			waits := sl.recorded()
			if len(waits) != len(tt.wantMinWait) {
				t.Fatalf("waited %v, want %d waits", waits, len(tt.wantMinWait))
			}
			for i, w := range waits {
				if w < tt.wantMinWait[i] || w > max(tt.wantMinWait[i], 30*time.Second) {
					t.Errorf("wait %d = %v, want at least %v and within the backoff cap", i, w, tt.wantMinWait[i])
				}
			}
		})
	}
}

func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	const limit, requests = 3, 40
	// The first `limit` calls are held until all of them are in flight, so the
	// test proves the slots fill without depending on how busy the CPU is; a
	// client that allowed fewer would leave them waiting, and then fail below.
	var arrived atomic.Int32
	full := make(chan struct{})
	f := newFake(t, "", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		if n <= limit {
			if arrived.Add(1) == limit {
				close(full)
			}
			select {
			case <-full:
			case <-time.After(30 * time.Second):
			}
		}
		echo(n, body, w, r)
	})
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), Concurrency: limit}}})
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() {
			msgs := []llm.Message{{Role: "user", Content: fmt.Sprint(i)}}
			resp, err := c.Complete(context.Background(), llm.Request{Model: "m", Messages: msgs})
			if err != nil || resp.Content != fmt.Sprint("echo: ", i) {
				t.Errorf("request %d: %q, %v", i, resp.Content, err)
			}
		})
	}
	wg.Wait()
	if got := f.Peak(); got != limit {
		t.Errorf("max in flight at the server = %d, want exactly the limit %d", got, limit)
	}
}

// TestSlotFreeWhileWaiting: with one slot, a call waiting out a Retry-After
// must not block another call.
func TestSlotFreeWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		if body.Model == "throttled" && n == 1 {
			status(429, "Retry-After", "1")(w)
			return
		}
		echo(n, body, w, r)
	})
	otherDone := make(chan struct{})
	sleep := func(ctx context.Context, d time.Duration) error {
		select {
		case <-otherDone:
			return nil
		case <-time.After(90 * time.Second):
			return errors.New("the other call never ran while this one waited")
		}
	}
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Sleep: sleep,
		Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), Concurrency: 1, MaxRetries: 1}}})
	throttled := make(chan error, 1)
	go func() {
		_, err := c.Complete(context.Background(), llm.Request{Model: "throttled", Messages: userMsg})
		throttled <- err
	}()
	for f.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := c.Complete(context.Background(), llm.Request{Model: "other", Messages: userMsg}); err != nil {
		t.Errorf("other call: %v", err)
	}
	close(otherDone)
	if err := <-throttled; err != nil {
		t.Errorf("throttled call: %v", err)
	}
}

func TestPerAttemptTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		stall func(w http.ResponseWriter, r *http.Request)
	}{
		{name: "no headers", stall: func(w http.ResponseWriter, r *http.Request) {}},
		{name: "half a body", stall: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"chatcmpl-1","choices":[`)
			w.(http.Flusher).Flush()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "", func(_ int, _ chatBody, w http.ResponseWriter, r *http.Request) {
				tt.stall(w, r)
				select {
				case <-r.Context().Done():
				case <-time.After(90 * time.Second):
				}
			})
			c := newClient(t, llm.Options{Mode: llm.CacheOff,
				Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), Timeout: 50 * time.Millisecond, MaxRetries: 1}}})
			_, err := c.Complete(context.Background(), llm.Request{Model: "m", Messages: userMsg})
			var ce *llm.CallError
			if !errors.As(err, &ce) || ce.Kind != llm.Timeout || ce.Attempts != 2 {
				t.Fatalf("err = %v, want a timeout CallError after 2 attempts", err)
			}
		})
	}
}

func TestCanceledWhileWaiting(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", func(_ int, _ chatBody, w http.ResponseWriter, _ *http.Request) { status(503)(w) })
	ctx, cancel := context.WithCancel(context.Background())
	sleep := func(ctx context.Context, d time.Duration) error { cancel(); <-ctx.Done(); return ctx.Err() }
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Sleep: sleep,
		Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), MaxRetries: 3}}})
	_, err := c.Complete(ctx, llm.Request{Model: "m", Messages: userMsg})
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Kind != llm.Canceled || !errors.Is(err, context.Canceled) || ce.Attempts != 1 {
		t.Fatalf("err = %v, want a canceled CallError wrapping context.Canceled after 1 attempt", err)
	}
	if f.Requests() != 1 {
		t.Errorf("server saw %d requests, want 1", f.Requests())
	}
}

func TestNetworkError(t *testing.T) {
	t.Parallel()
	// The connection is accepted (the preflight passes) and then dropped
	// before any response: a network error, retried.
	f := newFake(t, "", func(_ int, _ chatBody, w http.ResponseWriter, _ *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	url := f.BaseURL()
	sl := &noSleep{}
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Sleep: sl.sleep,
		Providers: []config.Provider{{Name: "default", BaseURL: url, MaxRetries: 2}}})
	_, err := c.Complete(context.Background(), llm.Request{Model: "m", Messages: userMsg})
	var ce *llm.CallError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a CallError", err)
	}
	if diff := cmp.Diff([3]any{llm.Network, 0, 3}, [3]any{ce.Kind, ce.Status, ce.Attempts}); diff != "" {
		t.Errorf("kind, status, attempts (-want +got):\n%s", diff)
	}
	if len(sl.recorded()) != 2 {
		t.Errorf("waited %d times, want 2", len(sl.recorded()))
	}
}

func TestInvalidParamsNotSent(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", echo)
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{{Name: "local", BaseURL: f.BaseURL()}}})
	for _, req := range []llm.Request{
		{Model: "local/", Messages: userMsg},
		{Model: "m", Params: llm.Params{Temperature: ptr(-1.0)}},
		{Model: "m", Params: llm.Params{MaxTokens: -3}},
		{Model: "o3-mini", Params: llm.Params{Temperature: ptr(0.5)}}, // go-openai refuses sampling params for reasoning models
	} {
		_, err := c.Complete(context.Background(), req)
		var ce *llm.CallError
		if !errors.As(err, &ce) || ce.Kind != llm.BadRequest || ce.Attempts != 0 {
			t.Errorf("Complete(%+v): err = %v, want a bad-request CallError with no attempts", req, err)
		}
	}
	if c.Calls() != 0 || f.Requests() != 0 {
		t.Errorf("invalid requests reached the server: %d calls", c.Calls())
	}
}
