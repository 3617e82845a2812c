// Package ratelimit paces calls to a model provider at the provider's rate
// limit: it learns the limit from response headers (or takes it from
// promptgate.yaml), spaces requests and estimated tokens to fit it, and adapts
// the number of calls in flight, halving it on a 429 and growing it back on
// success. Its Retry-After reader and its context-aware Sleep also serve
// ghclient, which waits out GitHub's rate limits, and the rollout's commit
// retries.
package ratelimit

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Observation is what one response said about the provider's limits. A zero
// limit or duration means the response did not say; a remaining count of -1
// means the same.
type Observation struct {
	// LimitRequests and LimitTokens are the per-minute ceilings.
	LimitRequests, LimitTokens int
	// RemainingRequests and RemainingTokens are what is left now, -1 if unknown.
	RemainingRequests, RemainingTokens int
	// ResetRequests and ResetTokens are how long until the budget is full again.
	ResetRequests, ResetTokens time.Duration
	// RetryAfter is how long the server asked the client to wait
	// (retry-after-ms, else Retry-After).
	RetryAfter time.Duration
}

// Known reports whether the response carried any limit at all.
func (o Observation) Known() bool {
	return o.LimitRequests > 0 || o.LimitTokens > 0
}

// maxHint bounds any duration read from a header, so the arithmetic on it
// cannot overflow; callers decide what is too long to wait.
const maxHint = 24 * time.Hour

// Parse reads the rate-limit headers OpenAI-compatible servers and Anthropic
// send: x-ratelimit-{limit,remaining,reset}-{requests,tokens} with resets
// written as Go-style durations ("6m0s", "20ms", "1s"),
// anthropic-ratelimit-{requests,tokens,input-tokens}-{limit,remaining,reset}
// with resets as RFC 3339 times, retry-after-ms, and Retry-After as seconds
// or an HTTP date. now turns absolute times into durations. Malformed values
// are ignored, never an error: a hint is not worth failing a call over.
func Parse(h http.Header, now time.Time) Observation {
	o := Observation{RemainingRequests: -1, RemainingTokens: -1}
	if h == nil {
		return o
	}
	o.LimitRequests = count(h, "X-Ratelimit-Limit-Requests", "Anthropic-Ratelimit-Requests-Limit")
	o.LimitTokens = count(h, "X-Ratelimit-Limit-Tokens", "Anthropic-Ratelimit-Tokens-Limit", "Anthropic-Ratelimit-Input-Tokens-Limit")
	o.RemainingRequests = remaining(h, "X-Ratelimit-Remaining-Requests", "Anthropic-Ratelimit-Requests-Remaining")
	o.RemainingTokens = remaining(h, "X-Ratelimit-Remaining-Tokens", "Anthropic-Ratelimit-Tokens-Remaining", "Anthropic-Ratelimit-Input-Tokens-Remaining")
	o.ResetRequests = reset(h, now, "X-Ratelimit-Reset-Requests", "Anthropic-Ratelimit-Requests-Reset")
	o.ResetTokens = reset(h, now, "X-Ratelimit-Reset-Tokens", "Anthropic-Ratelimit-Tokens-Reset", "Anthropic-Ratelimit-Input-Tokens-Reset")
	o.RetryAfter = RetryAfter(h, now)
	return o
}

// RetryAfter reads how long the server asked us to wait: retry-after-ms
// (OpenAI and Azure), else Retry-After as delay-seconds or an HTTP date.
// Zero means no usable hint.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < float64(maxHint/time.Millisecond) {
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
		return time.Duration(min(secs, int64(maxHint/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return min(d, maxHint)
		}
	}
	return 0
}

// ParseReset reads a reset value: a duration as OpenAI writes it ("6m0s",
// "20ms", "1s", "1.5s", also with a day part "1d2h"), plain seconds ("30"),
// or an RFC 3339 time as Anthropic writes it. It returns false when the value
// is none of these; a time in the past is a zero duration.
func ParseReset(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return min(max(t.Sub(now), 0), maxHint), true
	}
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs < 0 || secs > maxHint.Seconds() {
			return 0, false
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	// Go durations have no day unit; OpenAI writes daily resets as "1d2h".
	var days time.Duration
	if d, rest, ok := strings.Cut(v, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 366 {
			return 0, false
		}
		days, v = time.Duration(n)*24*time.Hour, rest
		if v == "" {
			return min(days, maxHint), true
		}
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, false
	}
	return min(days+d, maxHint), true
}

// count is the first of the headers that holds a positive integer, else 0.
func count(h http.Header, names ...string) int {
	for _, n := range names {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Get(n))); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// remaining is the first of the headers that holds a non-negative integer, else -1.
func remaining(h http.Header, names ...string) int {
	for _, n := range names {
		if v, err := strconv.Atoi(strings.TrimSpace(h.Get(n))); err == nil && v >= 0 {
			return v
		}
	}
	return -1
}

func reset(h http.Header, now time.Time, names ...string) time.Duration {
	for _, n := range names {
		if d, ok := ParseReset(h.Get(n), now); ok {
			return d
		}
	}
	return 0
}
