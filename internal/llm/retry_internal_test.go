package llm

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{name: "none", header: http.Header{}, want: 0},
		{name: "nil", header: nil, want: 0},
		{name: "seconds", header: http.Header{"Retry-After": {"3"}}, want: 3 * time.Second},
		{name: "padded seconds", header: http.Header{"Retry-After": {" 20 "}}, want: 20 * time.Second},
		{name: "zero", header: http.Header{"Retry-After": {"0"}}, want: 0},
		{name: "negative", header: http.Header{"Retry-After": {"-5"}}, want: 0},
		{name: "fraction is not delay-seconds", header: http.Header{"Retry-After": {"1.5"}}, want: 0},
		{name: "huge is clamped beyond the limit", header: http.Header{"Retry-After": {"99999999999999999"}}, want: 2 * maxRetryAfter},
		{name: "date", header: http.Header{"Retry-After": {now.Add(45 * time.Second).Format(http.TimeFormat)}}, want: 45 * time.Second},
		{name: "past date", header: http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, want: 0},
		{name: "garbage", header: http.Header{"Retry-After": {"soon"}}, want: 0},
		{name: "milliseconds win", header: http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, want: 250 * time.Millisecond},
		{name: "bad milliseconds fall back", header: http.Header{"Retry-After-Ms": {"x"}, "Retry-After": {"1"}}, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := parseRetryAfter(tt.header, now); got != tt.want {
				t.Errorf("parseRetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for retry := range 40 {
		ceiling := backoffCap
		if retry < 16 {
			ceiling = min(backoffCap, backoffBase<<retry)
		}
		var top time.Duration
		for range 200 {
			d := backoff(retry)
			if d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", retry, d, ceiling)
			}
			top = max(top, d)
		}
		// Full jitter spreads waits over the whole range, not just its bottom.
		if top < ceiling/2 {
			t.Errorf("backoff(%d): largest of 200 draws %v is under half of %v", retry, top, ceiling)
		}
	}
}

// FuzzParseRetryAfter: no header value may panic or yield a negative wait.
func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120", "")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT", "")
	f.Add("", "1500")
	f.Fuzz(func(t *testing.T, retryAfter, retryAfterMs string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("Retry-After-Ms", retryAfterMs)
		if d := parseRetryAfter(h, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); d < 0 {
			t.Fatalf("parseRetryAfter(%q, %q) = %v", retryAfter, retryAfterMs, d)
		}
	})
}
