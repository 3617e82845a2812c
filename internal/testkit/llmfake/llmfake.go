// Package llmfake is an OpenAI-compatible chat-completions server that
// enforces a rate limit the way OpenAI does, for tests and the rate-limit
// benchmark. Requests and tokens are each a token bucket holding one second's
// worth of the per-minute limit; a request that does not fit is answered 429
// with OpenAI's x-ratelimit-* headers, retry-after-ms and Retry-After, and
// every answer carries the x-ratelimit-* headers.
package llmfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// Options configure a Server.
type Options struct {
	// RPM and TPM are the per-minute limits; 0 means unlimited.
	RPM, TPM int
	// Latency is how long an admitted request takes to answer.
	Latency time.Duration
	// APIKey, when set, must come as "Authorization: Bearer APIKey".
	APIKey string
	// Gather, when above 1, holds the first admitted requests until that many
	// are in flight at once (or GatherWait passes, default 10s), then answers
	// as usual: a test of a client's concurrency then sees Peak reach what
	// the client sends at once, however slow the machine.
	Gather     int
	GatherWait time.Duration
	// Respond, when set, answers each admitted request instead of the echo.
	// It may be called from many goroutines at once; a Reply with Refuse
	// set refuses the request.
	Respond func(Request) Reply
	// Faults, when set, fail the first attempt of a share of requests (told
	// apart by their last message), drawn from a generator seeded with
	// FaultSeed: Throttle answer 429 with Retry-After: 1 and no rate-limit
	// headers, ServerError 500, Truncate a 200 whose JSON stops halfway. A
	// retry of the same request is answered normally.
	Faults    Faults
	FaultSeed uint64
}

// Faults are the shares of first attempts that fail each way.
type Faults struct {
	Throttle, ServerError, Truncate float64
}

// Server is the handler. Its counters may be read while it serves.
type Server struct {
	opts Options
	// Requests counts POST /v1/chat/completions requests; Throttled those
	// answered 429; Tokens the tokens admitted requests were charged; Bad
	// requests refused for a wrong method, route, key or body.
	Requests, Throttled, Tokens, Bad atomic.Int64
	// Peak is the most requests in flight at once.
	Peak     atomic.Int64
	inflight atomic.Int64

	faulted    map[string]bool // last messages answered before, for Faults
	rng        *rand.Rand
	gathered   chan struct{} // closed when Gather requests were in flight
	gatherOnce sync.Once
	mu         sync.Mutex
	seen       []Request
	last       time.Time
	reqs       float64 // request tokens in the bucket
	toks       float64 // token tokens in the bucket
	problems   []string
}

// New returns a Server with full buckets.
func New(o Options) *Server {
	return &Server{opts: o, reqs: float64(o.RPM) / 60, toks: float64(o.TPM) / 60, gathered: make(chan struct{}),
		faulted: map[string]bool{}, rng: rand.New(rand.NewPCG(o.FaultSeed, 0x5eed))}
}

// fault decides how a request's first attempt fails: 429, 500, -1 for a
// truncated body, 0 for none.
func (s *Server) fault(last string) int {
	f := s.opts.Faults
	if f == (Faults{}) {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faulted[last] {
		return 0
	}
	s.faulted[last] = true
	switch x := s.rng.Float64(); {
	case x < f.Throttle:
		return http.StatusTooManyRequests
	case x < f.Throttle+f.ServerError:
		return http.StatusInternalServerError
	case x < f.Throttle+f.ServerError+f.Truncate:
		return -1
	}
	return 0
}

// gather holds a request until Gather are in flight or GatherWait passes;
// cur is the count in flight with this one.
func (s *Server) gather(cur int64) {
	if s.opts.Gather <= 1 {
		return
	}
	if cur >= int64(s.opts.Gather) {
		s.gatherOnce.Do(func() { close(s.gathered) })
	}
	t := time.NewTimer(cmp.Or(s.opts.GatherWait, 10*time.Second))
	defer t.Stop()
	select {
	case <-s.gathered:
	case <-t.C:
		// Never gathered: stop holding anyone, so a failing test ends soon.
		s.gatherOnce.Do(func() { close(s.gathered) })
	}
}

// Problems lists the requests the server refused as malformed, for a test to
// report.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// Seen returns every well-formed request received, in arrival order.
func (s *Server) Seen() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.seen...)
}

// ServeHTTP answers POST /v1/chat/completions and refuses anything else.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
		s.refuse(w, http.StatusNotFound, fmt.Sprintf("unexpected route %s %s", r.Method, r.URL.Path))
		return
	}
	if s.opts.APIKey != "" && r.Header.Get("Authorization") != "Bearer "+s.opts.APIKey {
		s.refuse(w, http.StatusUnauthorized, "missing or wrong Authorization header")
		return
	}
	var req Request
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || len(req.Messages) == 0 {
		s.refuse(w, http.StatusBadRequest, fmt.Sprintf("bad body (%v): model %q, %d messages", err, req.Model, len(req.Messages)))
		return
	}
	if problem := checkShapes(req); problem != "" {
		s.refuse(w, http.StatusBadRequest, problem)
		return
	}
	s.mu.Lock()
	s.seen = append(s.seen, req)
	s.mu.Unlock()
	s.Requests.Add(1)
	switch s.fault(req.Messages[len(req.Messages)-1].Text()) {
	case http.StatusTooManyRequests:
		s.Throttled.Add(1)
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "Rate limit reached. Please try again in 1s.")
		return
	case http.StatusInternalServerError:
		writeError(w, http.StatusInternalServerError, "server_error", "The server had an error while processing your request.")
		return
	case -1:
		time.Sleep(s.opts.Latency)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"chatcmpl-fake","object":"chat.completion","choices":[{"index":0,"mess`))
		return
	}
	reply := Reply{Content: "echo: " + req.Messages[len(req.Messages)-1].Text()}
	if s.opts.Respond != nil {
		reply = s.opts.Respond(req)
	}
	if reply.Refuse != "" {
		s.refuse(w, http.StatusBadRequest, reply.Refuse)
		return
	}
	answer := reply.Content
	in := llm.EstimateInputTokens(req.Conversation())
	out := (len(answer) + 3) / 4
	if reply.Usage != nil {
		in, out = reply.Usage.InputTokens, reply.Usage.OutputTokens
	}
	cost := in + out
	if req.MaxTokens > 0 {
		// OpenAI counts the most a request may generate against the limit.
		cost = in + max(out, req.MaxTokens)
	}
	wait, h := s.admit(cost)
	for k, v := range h {
		w.Header()[k] = v
	}
	if wait > 0 {
		s.Throttled.Add(1)
		w.Header().Set("Retry-After-Ms", strconv.FormatInt(max(1, wait.Milliseconds()), 10))
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded",
			fmt.Sprintf("Rate limit reached for %s. Please try again in %s.", req.Model, wait.Round(time.Millisecond)))
		return
	}
	s.Tokens.Add(int64(cost))
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.Peak.Load(); cur > p && !s.Peak.CompareAndSwap(p, cur); p = s.Peak.Load() {
	}
	s.gather(cur)
	time.Sleep(s.opts.Latency)
	w.Header().Set("Content-Type", "application/json")
	msg, finish := map[string]any{"role": "assistant", "content": answer}, "stop"
	if len(reply.ToolCalls) > 0 {
		msg["tool_calls"], finish = wireToolCalls(reply.ToolCalls), "tool_calls"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "model": req.Model,
		"choices": []map[string]any{{"index": 0, "finish_reason": finish, "message": msg}},
		"usage":   map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
}

// admit refills the buckets and takes one request and cost tokens from them.
// It returns zero and the headers for an admitted request, or how long until
// the request would fit.
func (s *Server) admit(cost int) (time.Duration, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	rps, tps := float64(s.opts.RPM)/60, float64(s.opts.TPM)/60
	if !s.last.IsZero() {
		dt := now.Sub(s.last).Seconds()
		s.reqs = min(rps, s.reqs+dt*rps)
		s.toks = min(tps, s.toks+dt*tps)
	}
	s.last = now
	var wait time.Duration
	if rps > 0 && s.reqs < 1 {
		wait = max(wait, seconds((1-s.reqs)/rps))
	}
	if tps > 0 && s.toks < min(float64(cost), tps) {
		wait = max(wait, seconds((min(float64(cost), tps)-s.toks)/tps))
	}
	if wait == 0 {
		if rps > 0 {
			s.reqs--
		}
		if tps > 0 {
			s.toks -= float64(cost)
		}
	}
	h := http.Header{}
	if rps > 0 {
		h.Set("X-Ratelimit-Limit-Requests", strconv.Itoa(s.opts.RPM))
		h.Set("X-Ratelimit-Remaining-Requests", strconv.Itoa(int(max(0, s.reqs))))
		h.Set("X-Ratelimit-Reset-Requests", seconds((rps-s.reqs)/rps).Round(time.Millisecond).String())
	}
	if tps > 0 {
		h.Set("X-Ratelimit-Limit-Tokens", strconv.Itoa(s.opts.TPM))
		h.Set("X-Ratelimit-Remaining-Tokens", strconv.Itoa(int(max(0, s.toks))))
		h.Set("X-Ratelimit-Reset-Tokens", seconds((tps-s.toks)/tps).Round(time.Millisecond).String())
	}
	return wait, h
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func (s *Server) refuse(w http.ResponseWriter, status int, msg string) {
	s.Bad.Add(1)
	s.mu.Lock()
	s.problems = append(s.problems, msg)
	s.mu.Unlock()
	writeError(w, status, "invalid_request_error", msg)
}

func writeError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "code": typ}})
}
