package ghclient

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/promptgate/promptgate/internal/ratelimit"
)

// DefaultMaxWait bounds how long one GitHub API request waits out rate
// limits before its limited answer is returned as it is.
const DefaultMaxWait = 2 * time.Minute

// secondaryWait is GitHub's advice for a secondary rate limit that names no
// time: wait at least a minute.
const secondaryWait = time.Minute

// Transport is an http.RoundTripper under go-github that waits out
// GitHub's rate limits instead of failing: a 403 or 429 that is a primary
// limit (x-ratelimit-remaining: 0) waits until x-ratelimit-reset, a
// secondary limit waits Retry-After (else a minute), and the request is sent
// again. An exhausted primary limit also holds back the token's next
// requests until the reset. Waits are bounded by MaxWait per request.
type Transport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// MaxWait bounds the waiting per request; 0 means DefaultMaxWait.
	MaxWait time.Duration
	// Now and Sleep are the clock; nil means real time.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives one line per wait; nil discards.
	Logger *slog.Logger

	mu      sync.Mutex
	blocked map[string]time.Time // per Authorization header: no request before
}

// RoundTrip sends r, waiting out rate limits.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	base, now, sleepFn, maxWait := t.Base, t.Now, t.Sleep, t.MaxWait
	if base == nil {
		base = http.DefaultTransport
	}
	if now == nil {
		now = time.Now
	}
	if sleepFn == nil {
		sleepFn = ratelimit.Sleep
	}
	if maxWait <= 0 {
		maxWait = DefaultMaxWait
	}
	key := r.Header.Get("Authorization")
	var waited time.Duration
	if d := t.blockedFor(key, now()); d > 0 && d <= maxWait {
		t.logWait(r, d, "primary rate limit exhausted")
		if err := sleepFn(r.Context(), d); err != nil {
			return nil, err
		}
		waited += d
	}
	req := r
	for {
		resp, err := base.RoundTrip(req)
		if err != nil {
			return nil, err
		}
		wait, why := t.limited(key, resp, now())
		if wait == 0 {
			return resp, nil
		}
		if waited+wait > maxWait || (r.Body != nil && r.GetBody == nil) {
			return resp, nil
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		resp.Body.Close()
		t.logWait(r, wait, why)
		if err := sleepFn(r.Context(), wait); err != nil {
			return nil, err
		}
		waited += wait
		req = r.Clone(r.Context())
		if r.GetBody != nil {
			if req.Body, err = r.GetBody(); err != nil {
				return nil, err
			}
		}
	}
}

// limited says how long to wait before sending again, and why; zero when the
// response is not a rate limit. It records an exhausted primary limit.
func (t *Transport) limited(key string, resp *http.Response, now time.Time) (time.Duration, string) {
	var untilReset time.Duration
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			until := time.Unix(reset, 0).Add(time.Second)
			untilReset = max(until.Sub(now), 0)
			t.block(key, until)
		}
	}
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, ""
	}
	if d := ratelimit.RetryAfter(resp.Header, now); d > 0 {
		return d, "secondary rate limit (Retry-After)"
	}
	if untilReset > 0 {
		return untilReset, "primary rate limit exhausted"
	}
	// A 403 is a rate limit only if it says so; read the start of the body
	// and put it back for the caller.
	head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if resp.StatusCode == http.StatusTooManyRequests || strings.Contains(strings.ToLower(string(head)), "rate limit") {
		return secondaryWait, "secondary rate limit"
	}
	return 0, ""
}

func (t *Transport) block(key string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.blocked == nil {
		t.blocked = map[string]time.Time{}
	}
	if until.After(t.blocked[key]) {
		t.blocked[key] = until
	}
}

func (t *Transport) blockedFor(key string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.blocked[key]
	if !ok {
		return 0
	}
	if !until.After(now) {
		delete(t.blocked, key)
		return 0
	}
	return until.Sub(now)
}

func (t *Transport) logWait(r *http.Request, d time.Duration, why string) {
	if t.Logger != nil {
		t.Logger.LogAttrs(r.Context(), slog.LevelWarn, "waiting out GitHub rate limit",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Duration("wait", d), slog.String("reason", why))
	}
}
