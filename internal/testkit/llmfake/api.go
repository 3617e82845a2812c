package llmfake

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit"
)

// DefaultPath is where an OpenAI-compatible client posts chat completions
// when its base URL ends in /v1.
const DefaultPath = "/v1/chat/completions"

// Call is one decoded chat-completions request, for an API fake's Reply and
// its log (the rate-limited Server decodes into Request). Pointers tell an absent
// field from an explicit zero.
type Call struct {
	Model               string        `json:"model"`
	Messages            []llm.Message `json:"messages"`
	Temperature         *float64      `json:"temperature"`
	TopP                *float64      `json:"top_p"`
	MaxTokens           int           `json:"max_tokens"`
	MaxCompletionTokens int           `json:"max_completion_tokens"`
	Stop                []string      `json:"stop"`
	Seed                *int          `json:"seed"`
	ResponseFormat      *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	Stream bool `json:"stream"`

	// N is the request's 1-based arrival number at the server.
	N int `json:"-"`
}

// Last is the content of the last message.
func (r Call) Last() string {
	if len(r.Messages) == 0 {
		return ""
	}
	return r.Messages[len(r.Messages)-1].Content
}

// LastUser is the content of the last user message.
func (r Call) LastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Content
		}
	}
	return ""
}

// Text is every message's content, each followed by a newline.
func (r Call) Text() string {
	var b strings.Builder
	for _, m := range r.Messages {
		b.WriteString(m.Content + "\n")
	}
	return b.String()
}

// APIOptions configure an API fake. The zero value expects POST
// /v1/chat/completions with any Authorization header and echoes.
type APIOptions struct {
	// Path is the one route served; "" means DefaultPath. Azure, for one,
	// posts to /openai/deployments/NAME/chat/completions.
	Path string
	// CheckAuth makes every request carry AuthHeader (default Authorization)
	// with exactly the value Auth; an empty Auth means the header is absent.
	CheckAuth  bool
	AuthHeader string
	Auth       string
	// Strict fails the test on any body field Call does not know, so a
	// client cannot send what no test has looked at.
	Strict bool
	// Keep records every request for Received and Seen. Off, the fake's memory
	// stays flat however many requests it answers (the eval runner's memory
	// test runs in the fake's process).
	Keep bool
	// Bench checks only the method and path, and neither decodes nor keeps
	// the body, so a benchmark measures the client rather than the fake.
	Bench bool
	// Latency is how long each request takes before Reply runs.
	Latency time.Duration
	// Reply writes the answer to r (its body already decoded into req); nil
	// answers "echo: " and the last message.
	Reply func(w http.ResponseWriter, r *http.Request, req Call)
}

// API is an httptest chat-completions server for one test. It fails the test
// on any other method or path, a wrong or missing key, an undecodable body,
// an empty model or message list, or a streaming request; anything else
// goes to Reply. It counts requests, calls per model and peak concurrency,
// and can keep every decoded body.
type API struct {
	*httptest.Server
	t    testkit.TB
	opts APIOptions

	requests atomic.Int64
	inFlight atomic.Int64
	peak     atomic.Int64

	mu       sync.Mutex
	received []Call
	calls    map[string]int
	seen     []string
}

// NewAPI starts an API fake, closed when the test ends. Outside go test, t is
// a *testkit.Standalone, which collects the failures and closes the fake.
func NewAPI(t testkit.TB, o APIOptions) *API {
	t.Helper()
	if o.Path == "" {
		o.Path = DefaultPath
	}
	if o.AuthHeader == "" {
		o.AuthHeader = "Authorization"
	}
	a := &API{t: t, opts: o, calls: map[string]int{}}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

// BaseURL is the server's URL followed by /v1, what a provider's base_url
// (or OPENAI_BASE_URL) should be to reach DefaultPath.
func (a *API) BaseURL() string { return a.URL + "/v1" }

func (a *API) serve(w http.ResponseWriter, r *http.Request) {
	cur := a.inFlight.Add(1)
	defer a.inFlight.Add(-1)
	for p := a.peak.Load(); cur > p && !a.peak.CompareAndSwap(p, cur); p = a.peak.Load() {
	}
	n := int(a.requests.Add(1))
	if a.opts.Keep {
		a.mu.Lock()
		a.seen = append(a.seen, r.Method+" "+r.URL.Path+" "+a.opts.AuthHeader+"="+r.Header.Get(a.opts.AuthHeader))
		a.mu.Unlock()
	}
	if r.Method != http.MethodPost || r.URL.Path != a.opts.Path {
		a.t.Errorf("fake model: unexpected %s %s (want POST %s)", r.Method, r.URL.Path, a.opts.Path)
		http.NotFound(w, r)
		return
	}
	if a.opts.Bench {
		a.reply(w, r, Call{N: n})
		return
	}
	if got := r.Header.Get(a.opts.AuthHeader); a.opts.CheckAuth && got != a.opts.Auth {
		a.t.Errorf("fake model: %s header = %q, want %q", a.opts.AuthHeader, got, a.opts.Auth)
	}
	var req Call
	dec := json.NewDecoder(r.Body)
	if a.opts.Strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&req); err != nil || req.Model == "" || len(req.Messages) == 0 {
		a.t.Errorf("fake model: bad body (%v): model %q, %d messages", err, req.Model, len(req.Messages))
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if req.Stream {
		a.t.Error("fake model: request asked for streaming")
	}
	req.N = n
	a.mu.Lock()
	if a.opts.Keep {
		a.received = append(a.received, req)
	}
	a.calls[req.Model]++
	a.mu.Unlock()
	if a.opts.Latency > 0 {
		time.Sleep(a.opts.Latency)
	}
	a.reply(w, r, req)
}

func (a *API) reply(w http.ResponseWriter, r *http.Request, req Call) {
	if a.opts.Reply == nil {
		WriteCompletion(w, Completion{Model: req.Model, Content: "echo: " + req.Last(), In: 10, Out: 5})
		return
	}
	a.opts.Reply(w, r, req)
}

// Requests is how many requests arrived, on any route.
func (a *API) Requests() int64 { return a.requests.Load() }

// Peak is the most requests in flight at once.
func (a *API) Peak() int64 { return a.peak.Load() }

// Received is every well-formed request, in arrival order (with Keep).
func (a *API) Received() []Call {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Call(nil), a.received...)
}

// Calls is how many well-formed requests named each model.
func (a *API) Calls() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.calls)
}

// Seen lists every request as "METHOD path Header=value" with the auth header,
// well-formed or not, for tests that require an endpoint to see nothing (with
// Keep).
func (a *API) Seen() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.seen...)
}

// Completion is a successful chat-completions answer.
type Completion struct {
	ID      string // "" means chatcmpl-fake
	Model   string
	Content string
	In, Out int // usage: prompt and completion tokens
	Created int64
}

// WriteCompletion writes c as a 200 chat.completion.
func WriteCompletion(w http.ResponseWriter, c Completion) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(c.JSON()))
}

// JSON is c encoded as an OpenAI chat.completion body.
func (c Completion) JSON() string {
	return fmt.Sprintf(`{"id":%s,"object":"chat.completion","created":%d,"model":%s,"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":%s}}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
		quote(cmp.Or(c.ID, "chatcmpl-fake")), c.Created, quote(c.Model), quote(c.Content), c.In, c.Out, c.In+c.Out)
}

// quote is s as a JSON string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// WriteError writes an OpenAI-style error body with status, type and message.
func WriteError(w http.ResponseWriter, status int, typ, msg string) {
	writeError(w, status, typ, msg)
}
