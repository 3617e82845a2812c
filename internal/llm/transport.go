package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/config"
)

// attemptKey carries the per-attempt state through go-openai to the transport.
type attemptKey struct{}

// attemptState is what the transport needs to know about, and tells back
// about, one attempt.
type attemptState struct {
	// zeros are body fields that must be sent as an explicit 0. go-openai
	// marks temperature and top_p omitempty, so a prompt's temperature: 0
	// would otherwise be dropped and the server would sample at its default.
	zeros  []string
	result attemptResult
	// waited is how long the limiter held the attempt back for pacing.
	waited time.Duration
	// pausedAll says the limiter holds every call for this attempt's 429.
	pausedAll bool
}

// transport sits under go-openai's http.Client. go-openai returns errors
// without the response headers, so this is where Retry-After is captured; it
// also counts HTTP attempts and restores explicit zero parameters.
type transport struct {
	base  http.RoundTripper
	calls *atomic.Int64
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	st, _ := r.Context().Value(attemptKey{}).(*attemptState)
	if st != nil && len(st.zeros) > 0 && r.Body != nil {
		patched, err := withZeroFields(r, st.zeros)
		if err != nil {
			return nil, err
		}
		r = patched
	}
	t.calls.Add(1)
	if st != nil {
		st.result.sent = true
	}
	resp, err := t.base.RoundTrip(r)
	if st != nil && resp != nil {
		st.result.status = resp.StatusCode
		st.result.header = resp.Header.Clone()
	}
	return resp, err
}

// withZeroFields returns a copy of r whose JSON body has each named field set
// to 0.
func withZeroFields(r *http.Request, fields []string) (*http.Request, error) {
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read request body: %w", err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("set explicit zero parameters: %w", err)
	}
	for _, f := range fields {
		m[f] = json.RawMessage("0")
	}
	body, err = json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("set explicit zero parameters: %w", err)
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return r2, nil
}

func withAttempt(ctx context.Context, st *attemptState) context.Context {
	return context.WithValue(ctx, attemptKey{}, st)
}

// newTransport builds a provider's transport. Each provider gets its own
// connection pool sized to its concurrency, so parallel calls reuse
// keep-alive connections instead of opening and dropping them (the default
// keeps only two idle per host).
func newTransport(p config.Provider, calls *atomic.Int64) *transport {
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = p.Concurrency
	base.MaxConnsPerHost = 0
	return &transport{base: base, calls: calls}
}
