package llm

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff bounds. Waits grow as backoffBase·2^retry up to backoffCap, and each
// is drawn uniformly from [0, that] ("full jitter") so that many clients
// throttled at once do not retry in step.
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
	// maxRetryAfter is the longest Retry-After we wait out; a server asking
	// for longer is treated as a final answer rather than stalling a run.
	maxRetryAfter = 5 * time.Minute
)

// backoff is the full-jitter wait before retry number retry (0-based).
func backoff(retry int) time.Duration {
	ceiling := backoffCap
	if retry < 16 {
		ceiling = min(backoffCap, backoffBase<<retry)
	}
	return rand.N(ceiling + 1)
}

// retryDelay is the wait before the next attempt: the jittered backoff, but
// never less than what the server asked for in Retry-After.
func retryDelay(retry int, h http.Header, now time.Time) time.Duration {
	return max(backoff(retry), parseRetryAfter(h, now))
}

// parseRetryAfter reads how long the server asked us to wait: the standard
// Retry-After header as delay-seconds or an HTTP date, or the retry-after-ms
// header some OpenAI-compatible servers send. Zero means no usable hint.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < float64(maxRetryAfter/time.Millisecond)*2 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		// Anything beyond twice the limit is clamped so the arithmetic cannot
		// overflow; it is refused as too long either way.
		return time.Duration(min(secs, int64(2*maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// sleep waits for d or until ctx ends; it is the default Options.Sleep.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
