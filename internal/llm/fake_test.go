package llm_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// chatBody is the request body the fake decodes. Pointers tell an absent
// field from an explicit zero.
type chatBody struct {
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
}

// fakeAPI is a chat-completions server. It fails the test on any method, path
// or auth header it does not expect, and hands each decoded request, with its
// 1-based arrival number, to reply.
type fakeAPI struct {
	t        *testing.T
	srv      *httptest.Server
	path     string
	authName string // header carrying the key: Authorization or api-key
	authWant string // its expected value; "" means the header must be absent
	reply    func(n int, body chatBody, w http.ResponseWriter, r *http.Request)

	requests    atomic.Int64
	inFlight    atomic.Int64
	maxInFlight atomic.Int64
	mu          sync.Mutex
	bodies      []chatBody
}

func newFake(t *testing.T, key string, reply func(n int, body chatBody, w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, path: "/v1/chat/completions", authName: "Authorization", reply: reply}
	if key != "" {
		f.authWant = "Bearer " + key
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", f.serve)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// baseURL is what a Provider's BaseURL should be to reach the fake.
func (f *fakeAPI) baseURL() string { return f.srv.URL + "/v1" }

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	cur := f.inFlight.Add(1)
	defer f.inFlight.Add(-1)
	for {
		old := f.maxInFlight.Load()
		if cur <= old || f.maxInFlight.CompareAndSwap(old, cur) {
			break
		}
	}
	n := int(f.requests.Add(1))
	if r.Method != http.MethodPost || r.URL.Path != f.path {
		f.t.Errorf("unexpected request %s %s (want POST %s)", r.Method, r.URL.Path, f.path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get(f.authName); got != f.authWant {
		f.t.Errorf("%s header = %q, want %q", f.authName, got, f.authWant)
	}
	var body chatBody
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields() // anything the client sends must be a field the test knows
	if err := dec.Decode(&body); err != nil {
		f.t.Errorf("decode request body: %v", err)
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if body.Stream {
		f.t.Error("request asked for streaming")
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	f.reply(n, body, w, r)
}

func (f *fakeAPI) received() []chatBody {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]chatBody(nil), f.bodies...)
}

// answer writes a successful completion.
func answer(w http.ResponseWriter, content string, in, out int) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
		content, in, out, in+out)
}

// echo answers with the last message's content, so callers can check that
// each response belongs to its request.
func echo(_ int, body chatBody, w http.ResponseWriter, _ *http.Request) {
	last := ""
	if len(body.Messages) > 0 {
		last = body.Messages[len(body.Messages)-1].Content
	}
	answer(w, "echo: "+last, 10, 5)
}

// apiError writes an OpenAI-style error with the given status.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"test_error"}}`, msg)
}

// truncated writes a 200 whose JSON body stops halfway.
func truncated(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assis`)
}
