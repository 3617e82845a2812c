package ratelimit

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// learnedShare is the share of a limit learned from headers that calls are
// paced to. The headroom absorbs jitter between when a request leaves here and
// when the server counts it, and other clients sharing the key.
const learnedShare = 0.97

// recentOutcomes is how many of the latest answers the share of 429s is
// taken over, and spentShare the share at which 429s say the limit is spent
// even without headers: a few 429s in a round that mostly succeeds are a
// server's hiccup (or another client's burst), not an exhausted limit.
const (
	recentOutcomes = 20
	spentShare     = 0.5
)

// minShare is the lowest the pacing falls to after 429s that came although
// calls were paced: the headers' limit may count differently from our
// estimate, but not by more than half.
const minShare = 0.5

// Options configure a Limiter.
type Options struct {
	// MaxConcurrency is the most calls in flight; the adaptive window never
	// grows past it. Values below 1 mean 1.
	MaxConcurrency int
	// RPM and TPM are configured requests and tokens per minute. Zero means
	// learn them from the response headers.
	RPM, TPM int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits for d or until ctx ends; nil means a real timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Limiter paces one provider's calls. It is safe for concurrent use.
type Limiter struct {
	max        int
	cfgRPM     int
	cfgTPM     int
	now        func() time.Time
	sleep      func(context.Context, time.Duration) error
	mu         sync.Mutex
	window     float64 // adaptive concurrency; starts at max
	inflight   int
	cuts       int           // times the window was cut; a ticket remembers the count it saw
	wake       chan struct{} // closed and replaced when a slot frees
	req, tok   *rate.Limiter // nil while no limit is known
	rpm, tpm   int           // the limits in force, configured or learned
	share      float64       // of a learned limit, lowered by paced 429s
	pauseUntil time.Time
	estimated  float64 // sum of estimates for calls whose usage came back
	actual     float64 // sum of their reported usage
	recent     []bool  // the latest answers, true for a 429, at most recentOutcomes
	stats      Stats
}

// Stats describe the pacing so far, for the progress bar and logs.
type Stats struct {
	// RPM and TPM are the limits in force (configured or learned), 0 if none.
	RPM, TPM int
	// Window is the number of calls allowed in flight now.
	Window int
	// Throttled counts 429 answers.
	Throttled int
	// Waits counts calls that waited for pacing or a 429 pause; Waited is
	// their total wait.
	Waits  int
	Waited time.Duration
}

// Ticket is one admitted call; hand it back to Done.
type Ticket struct {
	cuts    int
	paced   bool
	raw     int // the caller's token estimate
	charged int // what was reserved for it
	// Waited is how long Acquire held the call back for pacing.
	Waited time.Duration
}

// Outcome is what a finished attempt tells the limiter.
type Outcome struct {
	// Status is the HTTP status, 0 if no response arrived.
	Status int
	// Header is the response header, nil if none.
	Header http.Header
	// Tokens is the usage the response reported (input + output), 0 if none.
	Tokens int
}

// New builds a Limiter. Configured limits pace from the first call; learned
// ones from the first response that carries them.
func New(o Options) *Limiter {
	l := &Limiter{max: max(1, o.MaxConcurrency), cfgRPM: max(0, o.RPM), cfgTPM: max(0, o.TPM),
		now: o.Now, sleep: o.Sleep, share: learnedShare, wake: make(chan struct{})}
	l.window = float64(l.max)
	if l.now == nil {
		l.now = time.Now
	}
	if l.sleep == nil {
		l.sleep = Sleep
	}
	now := l.now()
	if l.cfgRPM > 0 {
		l.setRPM(now, l.cfgRPM, 1)
	}
	if l.cfgTPM > 0 {
		l.setTPM(now, l.cfgTPM, 1)
	}
	return l
}

// Acquire waits for a slot in the concurrency window, then until the request
// and its estimated tokens fit the pace. On error (ctx ended) no slot is held.
func (l *Limiter) Acquire(ctx context.Context, estTokens int) (*Ticket, error) {
	t := &Ticket{}
	for {
		l.mu.Lock()
		if l.inflight < int(l.window) {
			l.inflight++
			t.cuts = l.cuts
			l.mu.Unlock()
			break
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// Reserve at the end of any pause, so calls held by a 429 pause do not all
	// leave together when it ends.
	l.mu.Lock()
	now := l.now()
	at := now
	if l.pauseUntil.After(at) {
		at = l.pauseUntil
	}
	var held []*rate.Reservation
	wait := at.Sub(now)
	if l.req != nil {
		r := l.req.ReserveN(at, 1)
		held = append(held, r)
		wait = max(wait, r.DelayFrom(now))
	}
	t.raw = estTokens
	if l.tok != nil && estTokens > 0 {
		t.charged = min(l.estimate(estTokens), l.tok.Burst())
		r := l.tok.ReserveN(at, t.charged)
		held = append(held, r)
		wait = max(wait, r.DelayFrom(now))
	}
	t.paced = l.req != nil || l.tok != nil
	pausedUntil := l.pauseUntil
	l.mu.Unlock()

	if wait > 0 {
		if err := l.sleep(ctx, wait); err != nil {
			for _, r := range held {
				r.Cancel()
			}
			l.release()
			return nil, err
		}
		// A 429 elsewhere may have paused calls while this one slept; honour
		// it once (not in a loop, so a stopped test clock cannot spin here).
		var extra time.Duration
		l.mu.Lock()
		if l.pauseUntil.After(pausedUntil) {
			extra = l.pauseUntil.Sub(l.now())
		}
		l.mu.Unlock()
		if extra > 0 {
			if err := l.sleep(ctx, extra); err != nil {
				l.release()
				return nil, err
			}
			wait += extra
		}
		t.Waited = wait
		l.mu.Lock()
		l.stats.Waits++
		l.stats.Waited += wait
		l.mu.Unlock()
	}
	return t, nil
}

// Done hands back a ticket with what the attempt saw: it frees the slot,
// learns limits from the headers, and adapts the window. For a 429 it
// reports whether it now holds every call for the answer's Retry-After
// (pausedAll): only when the limit is spent, by the headers (a remaining count
// of 0, or fewer tokens left than the call needed) or by most recent answers
// being 429s. Otherwise the 429 only cuts the window, and the caller waits
// out the Retry-After alone.
func (l *Limiter) Done(t *Ticket, o Outcome) (pausedAll bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	l.signal()
	now := l.now()
	obs := Parse(o.Header, now)
	l.learn(now, obs)
	if o.Status != 0 {
		l.recent = append(l.recent, o.Status == http.StatusTooManyRequests)
		if len(l.recent) > recentOutcomes {
			l.recent = l.recent[len(l.recent)-recentOutcomes:]
		}
	}
	switch {
	case o.Status == http.StatusTooManyRequests:
		l.stats.Throttled++
		spent := l.spent(obs, t)
		if t.cuts == l.cuts {
			// One cut per round of calls: the others refused in the same
			// round were sent before this cut and say nothing new.
			l.cuts++
			cut := 0.5
			if !spent {
				// A sporadic 429: ease off, without halving the run's pace.
				cut = 0.75
			}
			l.window = max(1, math.Floor(l.window*cut))
			if spent && t.paced && l.share > minShare {
				l.share = max(minShare, l.share*0.9)
				l.repace(now)
			}
		}
		if spent && obs.RetryAfter > 0 {
			l.pause(now, obs.RetryAfter)
			pausedAll = true
		}
	case o.Status >= 200 && o.Status < 300:
		if l.window < float64(l.max) {
			l.window = min(float64(l.max), l.window+1/l.window)
			l.signal()
		}
		if o.Tokens > 0 && t.raw > 0 {
			l.estimated += float64(t.raw)
			l.actual += float64(o.Tokens)
			if extra := o.Tokens - t.charged; extra > 0 && l.tok != nil {
				// Debit what the estimate missed; later calls wait for it.
				at := now
				if l.pauseUntil.After(at) {
					at = l.pauseUntil
				}
				l.tok.ReserveN(at, min(extra, l.tok.Burst()))
			}
		}
	}
	return pausedAll
}

// spent reports whether a 429 shows the limit exhausted rather than a
// sporadic refusal; mu is held.
func (l *Limiter) spent(obs Observation, t *Ticket) bool {
	if obs.RemainingRequests == 0 || obs.RemainingTokens == 0 ||
		(obs.RemainingTokens > 0 && t.charged > 0 && obs.RemainingTokens < t.charged) {
		return true
	}
	n := 0
	for _, throttled := range l.recent {
		if throttled {
			n++
		}
	}
	// Too few answers yet to judge by: take the server at its word.
	if len(l.recent) < 4 {
		return true
	}
	return float64(n) >= spentShare*float64(len(l.recent))
}

// Stats returns the pacing figures so far.
func (l *Limiter) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.RPM, s.TPM, s.Window = l.rpm, l.tpm, int(l.window)
	return s
}

func (l *Limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
	l.signal()
}

// signal wakes every caller waiting for a slot; mu is held.
func (l *Limiter) signal() {
	close(l.wake)
	l.wake = make(chan struct{})
}

func (l *Limiter) pause(now time.Time, d time.Duration) {
	if until := now.Add(d); until.After(l.pauseUntil) {
		l.pauseUntil = until
	}
}

// learn takes limits the configuration did not fix from a response; mu is held.
func (l *Limiter) learn(now time.Time, obs Observation) {
	if l.cfgRPM == 0 && obs.LimitRequests > 0 && obs.LimitRequests != l.rpm {
		l.setRPM(now, obs.LimitRequests, l.share)
	}
	if l.cfgTPM == 0 && obs.LimitTokens > 0 && obs.LimitTokens != l.tpm {
		l.setTPM(now, obs.LimitTokens, l.share)
	}
	// An exhausted budget holds calls back until one more fits; the reset is
	// the time to a full budget, so wait at most one call's share of it.
	if obs.RemainingRequests == 0 && obs.ResetRequests > 0 && l.rpm > 0 {
		l.pause(now, min(obs.ResetRequests, time.Minute/time.Duration(l.rpm)+time.Millisecond))
	}
}

// repace applies a changed share to learned limits; mu is held.
func (l *Limiter) repace(now time.Time) {
	if l.cfgRPM == 0 && l.req != nil {
		l.req.SetLimitAt(now, perSecond(l.rpm, l.share))
	}
	if l.cfgTPM == 0 && l.tok != nil {
		l.tok.SetLimitAt(now, perSecond(l.tpm, l.share))
	}
}

func perSecond(perMinute int, share float64) rate.Limit {
	return rate.Limit(float64(perMinute) * share / 60)
}

// setRPM paces requests: a tenth of a second's worth may go at once, and the
// bucket starts empty, since the calls so far already spent the server's.
func (l *Limiter) setRPM(now time.Time, rpm int, share float64) {
	l.rpm = rpm
	r := perSecond(rpm, share)
	if l.req != nil {
		l.req.SetLimitAt(now, r)
		return
	}
	burst := max(1, int(float64(r)/10))
	l.req = rate.NewLimiter(r, burst)
	l.req.ReserveN(now, burst)
}

// setTPM paces tokens: a second's worth may go at once (so one large request
// always fits), and the bucket starts empty.
func (l *Limiter) setTPM(now time.Time, tpm int, share float64) {
	l.tpm = tpm
	r := perSecond(tpm, share)
	if l.tok != nil {
		l.tok.SetLimitAt(now, r)
		return
	}
	burst := max(1, int(float64(r)))
	l.tok = rate.NewLimiter(r, burst)
	l.tok.ReserveN(now, burst)
}

// estimate scales a token estimate by how far the estimates so far were off
// the usage the server reported; mu is held.
func (l *Limiter) estimate(tokens int) int {
	if l.estimated >= 1 && l.actual > 0 {
		return max(1, int(math.Ceil(float64(tokens)*l.actual/l.estimated)))
	}
	return tokens
}

// Sleep waits for d or until ctx ends, whichever is first; it returns
// ctx.Err() when ctx ended.
func Sleep(ctx context.Context, d time.Duration) error {
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
