package ratelimit

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestParse(t *testing.T) {
	t.Parallel()
	unknown := Observation{RemainingRequests: -1, RemainingTokens: -1}
	tests := []struct {
		name   string
		header http.Header
		want   Observation
	}{
		{name: "nil", header: nil, want: unknown},
		{name: "none", header: http.Header{}, want: unknown},
		{name: "OpenAI", header: http.Header{
			"X-Ratelimit-Limit-Requests":     {"6000"},
			"X-Ratelimit-Remaining-Requests": {"5999"},
			"X-Ratelimit-Reset-Requests":     {"10ms"},
			"X-Ratelimit-Limit-Tokens":       {"150000"},
			"X-Ratelimit-Remaining-Tokens":   {"149984"},
			"X-Ratelimit-Reset-Tokens":       {"6m0s"},
		}, want: Observation{LimitRequests: 6000, RemainingRequests: 5999, ResetRequests: 10 * time.Millisecond,
			LimitTokens: 150000, RemainingTokens: 149984, ResetTokens: 6 * time.Minute}},
		{name: "OpenAI 429", header: http.Header{
			"X-Ratelimit-Limit-Requests":     {"500"},
			"X-Ratelimit-Remaining-Requests": {"0"},
			"X-Ratelimit-Reset-Requests":     {"1s"},
			"Retry-After-Ms":                 {"120"},
			"Retry-After":                    {"1"},
		}, want: Observation{LimitRequests: 500, RemainingRequests: 0, ResetRequests: time.Second, RemainingTokens: -1,
			RetryAfter: 120 * time.Millisecond}},
		{name: "Anthropic", header: http.Header{
			"Anthropic-Ratelimit-Requests-Limit":     {"50"},
			"Anthropic-Ratelimit-Requests-Remaining": {"49"},
			"Anthropic-Ratelimit-Requests-Reset":     {now.Add(1200 * time.Millisecond).Format(time.RFC3339Nano)},
			"Anthropic-Ratelimit-Tokens-Limit":       {"40000"},
			"Anthropic-Ratelimit-Tokens-Remaining":   {"39000"},
			"Anthropic-Ratelimit-Tokens-Reset":       {now.Add(90 * time.Second).Format(time.RFC3339)},
			"Retry-After":                            {"3"},
		}, want: Observation{LimitRequests: 50, RemainingRequests: 49, ResetRequests: 1200 * time.Millisecond,
			LimitTokens: 40000, RemainingTokens: 39000, ResetTokens: 90 * time.Second, RetryAfter: 3 * time.Second}},
		{name: "Anthropic input tokens only", header: http.Header{
			"Anthropic-Ratelimit-Input-Tokens-Limit":     {"30000"},
			"Anthropic-Ratelimit-Input-Tokens-Remaining": {"100"},
			"Anthropic-Ratelimit-Input-Tokens-Reset":     {now.Add(-time.Second).Format(time.RFC3339)},
		}, want: Observation{LimitTokens: 30000, RemainingRequests: -1, RemainingTokens: 100}},
		{name: "garbage is ignored", header: http.Header{
			"X-Ratelimit-Limit-Requests":     {"lots"},
			"X-Ratelimit-Remaining-Requests": {"-3"},
			"X-Ratelimit-Reset-Requests":     {"soon"},
			"X-Ratelimit-Limit-Tokens":       {"0"},
		}, want: unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, Parse(tt.header, now)); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"20ms", 20 * time.Millisecond, true},
		{"1s", time.Second, true},
		{"6m0s", 6 * time.Minute, true},
		{"2m59.56s", 2*time.Minute + 59560*time.Millisecond, true},
		{"1d2h", maxHint, true}, // beyond a day is clamped
		{"1d", 24 * time.Hour, true},
		{"0s", 0, true},
		{"30", 30 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{now.Add(2 * time.Second).Format(time.RFC3339), 2 * time.Second, true},
		{now.Add(-2 * time.Second).Format(time.RFC3339), 0, true},
		{"", 0, false},
		{"-1s", 0, false},
		{"xd", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseReset(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseReset(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
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
		{name: "huge is clamped", header: http.Header{"Retry-After": {"99999999999999999"}}, want: maxHint},
		{name: "date", header: http.Header{"Retry-After": {now.Add(45 * time.Second).Format(http.TimeFormat)}}, want: 45 * time.Second},
		{name: "past date", header: http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, want: 0},
		{name: "garbage", header: http.Header{"Retry-After": {"soon"}}, want: 0},
		{name: "milliseconds win", header: http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, want: 250 * time.Millisecond},
		{name: "bad milliseconds fall back", header: http.Header{"Retry-After-Ms": {"x"}, "Retry-After": {"1"}}, want: time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := RetryAfter(tt.header, now); got != tt.want {
				t.Errorf("RetryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzRetryAfter: no header value may panic or yield a negative wait.
func FuzzRetryAfter(f *testing.F) {
	f.Add("120", "")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT", "")
	f.Add("", "1500")
	f.Fuzz(func(t *testing.T, retryAfter, retryAfterMs string) {
		h := http.Header{}
		h.Set("Retry-After", retryAfter)
		h.Set("Retry-After-Ms", retryAfterMs)
		if d := RetryAfter(h, now); d < 0 || d > maxHint {
			t.Fatalf("RetryAfter(%q, %q) = %v", retryAfter, retryAfterMs, d)
		}
	})
}

// FuzzParse: no header values may panic, yield a negative or unbounded
// duration, or a negative limit.
func FuzzParse(f *testing.F) {
	f.Add("6000", "5999", "6m0s", "150000", "1d2h3m", "2026-05-01T12:00:01Z")
	f.Add("50", "-1", "20ms", "x", "1.5", "")
	f.Fuzz(func(t *testing.T, limit, remaining, reset, tokens, tokReset, anthropicReset string) {
		h := http.Header{}
		h.Set("X-Ratelimit-Limit-Requests", limit)
		h.Set("X-Ratelimit-Remaining-Requests", remaining)
		h.Set("X-Ratelimit-Reset-Requests", reset)
		h.Set("X-Ratelimit-Limit-Tokens", tokens)
		h.Set("X-Ratelimit-Reset-Tokens", tokReset)
		h.Set("Anthropic-Ratelimit-Requests-Reset", anthropicReset)
		o := Parse(h, now)
		for _, d := range []time.Duration{o.ResetRequests, o.ResetTokens, o.RetryAfter} {
			if d < 0 || d > maxHint {
				t.Fatalf("duration %v out of [0, %v] in %+v", d, maxHint, o)
			}
		}
		if o.LimitRequests < 0 || o.LimitTokens < 0 || o.RemainingRequests < -1 || o.RemainingTokens < -1 {
			t.Fatalf("negative count in %+v", o)
		}
	})
}
