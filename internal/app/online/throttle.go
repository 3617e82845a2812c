package online

import (
	"math"
	"time"

	"golang.org/x/time/rate"
)

// DefaultExportRate is how many exports a second one repository may send
// before POST /v1/traces answers 429, and twice it the burst it may send at
// once. An OpenTelemetry SDK exports every few seconds or per 512 spans, a
// Collector every 200 ms: a few dozen replicas stay well under it, while one
// repository's flood cannot take the receiver from the others.
const DefaultExportRate = 50

// throttle holds one token bucket per repository of the token list, built
// once: the map is never written after, and rate.Limiter is safe for
// concurrent use.
type throttle struct {
	byRepo map[string]*rate.Limiter
	now    func() time.Time
}

func newThrottle(repos []string, perSec float64, now func() time.Time) *throttle {
	t := &throttle{byRepo: make(map[string]*rate.Limiter, len(repos)), now: now}
	burst := max(1, int(2*perSec))
	for _, r := range repos {
		t.byRepo[r] = rate.NewLimiter(rate.Limit(perSec), burst)
	}
	return t
}

// admit takes one export of repo from its bucket. When the bucket is empty it
// takes nothing and returns the whole seconds to wait, at least 1, for the
// Retry-After header.
func (t *throttle) admit(repo string) (retryAfter int, ok bool) {
	lim := t.byRepo[repo]
	if lim == nil {
		return 0, true
	}
	now := t.now()
	res := lim.ReserveN(now, 1)
	wait := res.DelayFrom(now)
	if wait == 0 {
		return 0, true
	}
	res.CancelAt(now)
	return max(1, int(math.Ceil(wait.Seconds()))), false
}
