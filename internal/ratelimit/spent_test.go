package ratelimit

import (
	"net/http"
	"testing"
	"time"
)

func throttled(h http.Header) Outcome {
	if h == nil {
		h = http.Header{}
	}
	h.Set("Retry-After", "1")
	return Outcome{Status: http.StatusTooManyRequests, Header: h}
}

// TestWhich429PausesAll: a 429 holds every call for its Retry-After only
// when it shows the limit spent (a remaining count of 0, fewer tokens left
// than the call needed, or most recent answers 429s, or too few answers yet
// to tell); a sporadic 429 in a round that mostly succeeds only cuts the
// window, and the next call goes without waiting.
func TestWhich429PausesAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		tpm       int
		successes int // 200s answered before the 429
		throttles int // 429s (no headers) answered before it
		tokens    int // the call's estimate
		header    http.Header
		wantAll   bool
	}{
		{name: "sporadic, no rate-limit headers", successes: 19, wantAll: false},
		{name: "sporadic, budget left", successes: 19, header: http.Header{"X-Ratelimit-Remaining-Requests": {"40"}}, wantAll: false},
		{name: "requests exhausted", successes: 19, header: http.Header{"X-Ratelimit-Remaining-Requests": {"0"}}, wantAll: true},
		{name: "tokens exhausted", successes: 19, header: http.Header{"X-Ratelimit-Remaining-Tokens": {"0"}}, wantAll: true},
		{name: "fewer tokens left than the call needs", tpm: 60000, tokens: 500, successes: 19,
			header: http.Header{"X-Ratelimit-Remaining-Tokens": {"120"}}, wantAll: true},
		{name: "most of the round refused", successes: 5, throttles: 10, wantAll: true},
		{name: "first answer", wantAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, c := newTestLimiter(Options{MaxConcurrency: 8, TPM: tt.tpm})
			for range tt.successes {
				l.Done(acquire(t, l, 0), ok200(nil))
			}
			for range tt.throttles {
				l.Done(acquire(t, l, 0), Outcome{Status: http.StatusTooManyRequests})
			}
			before := l.Stats().Window
			tk := acquire(t, l, tt.tokens)
			c.ForgetWaits()
			if got := l.Done(tk, throttled(tt.header)); got != tt.wantAll {
				t.Fatalf("pausedAll = %v, want %v", got, tt.wantAll)
			}
			if w := l.Stats().Window; w >= before && before > 1 {
				t.Errorf("window %d after the 429, want it cut from %d", w, before)
			}
			start := c.Now()
			acquire(t, l, 0)
			waited := c.Now().Sub(start)
			if tt.wantAll && waited < time.Second {
				t.Errorf("next call waited %s, want the 1 s Retry-After", waited)
			}
			if !tt.wantAll && waited != 0 {
				t.Errorf("next call waited %s after a sporadic 429, want no wait", waited)
			}
		})
	}
}
