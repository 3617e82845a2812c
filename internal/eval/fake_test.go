package eval

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// chatReq is the part of a chat-completions request body the fake checks.
type chatReq struct {
	Model    string        `json:"model"`
	Messages []llm.Message `json:"messages"`
}

// fakeChat is an httptest chat-completions server. answer maps the decoded
// request (and the 1-based request number) to a status and body; nil answer
// echoes the last user message.
type fakeChat struct {
	*httptest.Server
	requests atomic.Int64
	inflight atomic.Int64
	peak     atomic.Int64
}

type answerFunc func(n int64, req chatReq) (status int, header http.Header, body string)

func newFakeChat(t testing.TB, latency time.Duration, answer answerFunc) *fakeChat {
	t.Helper()
	f := &fakeChat{}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		n := f.requests.Add(1)
		cur := f.inflight.Add(1)
		defer f.inflight.Add(-1)
		for {
			p := f.peak.Load()
			if cur <= p || f.peak.CompareAndSwap(p, cur) {
				break
			}
		}
		if r.Method != http.MethodPost {
			t.Errorf("fake chat: method %s, want POST", r.Method)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer test-key" {
			t.Errorf("fake chat: Authorization %q", got)
		}
		var req chatReq
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || len(req.Messages) == 0 {
			t.Errorf("fake chat: bad body (%v): %+v", err, req)
		}
		if latency > 0 {
			time.Sleep(latency)
		}
		status, header, body := 200, http.Header{}, ""
		if answer != nil {
			status, header, body = answer(n, req)
		} else {
			body = completion(req.Model, "echo: "+lastUser(req.Messages), 20, 5)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake chat: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func lastUser(msgs []llm.Message) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}

func completion(model, content string, in, out int) string {
	b, _ := json.Marshal(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
	return string(b)
}

// fixture builds a prompt set and suites from in-memory files.
func fixture(t testing.TB, files map[string]string) (*prompt.Set, []*suite.Suite) {
	t.Helper()
	m := fstest.MapFS{}
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	set, err := prompt.LoadWithTools(fs.FS(m), "prompts", "tools")
	if err != nil {
		t.Fatalf("load prompts: %v", err)
	}
	suites, err := suite.Load(fs.FS(m), "evals")
	if err != nil {
		t.Fatalf("load suites: %v", err)
	}
	if err := Check(suites, set, ""); err != nil {
		t.Fatalf("check: %v", err)
	}
	return set, suites
}

const echoPrompt = `---
model: gpt-4.1-mini
config:
  temperature: 0
input:
  schema:
    word: string
---
{{role "system"}}
Repeat the word.
{{role "user"}}
{{word}}
`

// echoSuite writes a suite with n cases; case i expects "wordI" in the output.
func echoSuite(n int, extra string) string {
	var b strings.Builder
	b.WriteString("prompt: echo\nthreshold: 0.5\n" + extra + "tests:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - description: case %d\n    vars: {word: word%d}\n    assert:\n      - type: contains\n        value: word%d\n", i, i, i)
	}
	return b.String()
}

func newClient(t testing.TB, baseURL string, conc, retries int, cacheDir string, mode llm.CacheMode) *llm.Client {
	t.Helper()
	opts := llm.Options{Providers: []llm.Provider{{Name: "default", BaseURL: baseURL + "/v1", APIKey: "test-key",
		APIKeyEnv: "OPENAI_API_KEY", Concurrency: conc, Timeout: 10 * time.Second, MaxRetries: retries}}, Mode: mode}
	if cacheDir != "" {
		opts.Cache = openCache(t, cacheDir)
	}
	c, err := llm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
