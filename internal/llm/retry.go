package llm

import (
	"math/rand/v2"
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
	// DefaultRateLimitWait is how long one call waits out 429 answers in
	// total before it ends as an error; providers.NAME.rate_limit_wait sets it.
	DefaultRateLimitWait = 5 * time.Minute
)

// backoff is the full-jitter wait before retry number retry (0-based).
func backoff(retry int) time.Duration {
	ceiling := backoffCap
	if retry < 16 {
		ceiling = min(backoffCap, backoffBase<<retry)
	}
	return rand.N(ceiling + 1)
}
