package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// dummyKey is the API key the recording run uses; the fake server insists on
// it, so the client's Authorization header is exercised too.
const dummyKey = "fixture-dummy-key"

// fixedCreated is the `created` second the fake server reports in responses.
const fixedCreated = 1767225600 // 2026-01-01T00:00:00Z

// chatRequest is the part of an OpenAI chat-completions request the fake reads.
type chatRequest struct {
	Model          string        `json:"model"`
	Messages       []llm.Message `json:"messages"`
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// fakeServer answers chat completions from the table, like an OpenAI endpoint.
type fakeServer struct {
	table *table

	mu        sync.Mutex
	served    map[string]int // case → requests answered
	unmatched []string
	// latencies maps a request fingerprint to the latency it was served with,
	// so recorded entries can carry exactly that value.
	latencies map[string]int64
}

func newFakeServer(t *table) (*fakeServer, *httptest.Server) {
	f := &fakeServer{table: t, served: map[string]int{}, latencies: map[string]int64{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/chat/completions", f.chatCompletions)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.fail(w, http.StatusNotFound, fmt.Sprintf("unexpected route %s %s", r.Method, r.URL.Path))
	})
	return f, httptest.NewServer(mux) // listens on 127.0.0.1
}

func (f *fakeServer) chatCompletions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		f.fail(w, http.StatusMethodNotAllowed, "chat completions need POST, got "+r.Method)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+dummyKey {
		f.fail(w, http.StatusUnauthorized, "missing or wrong Authorization header")
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.fail(w, http.StatusBadRequest, "decode request: "+err.Error())
		return
	}
	if req.Model == "" || len(req.Messages) == 0 {
		f.fail(w, http.StatusBadRequest, "request needs model and messages")
		return
	}
	rep, ok := f.table.match(req.Model, req.Messages)
	if !ok {
		last := req.Messages[len(req.Messages)-1].Content
		f.fail(w, http.StatusBadRequest, fmt.Sprintf("no fixture answer matches this %s request; last message starts %.120q", req.Model, last))
		return
	}
	f.mu.Lock()
	f.served[rep.what]++
	f.latencies[requestKey(req.Model, req.Messages)] = rep.latencyMS
	f.mu.Unlock()

	select {
	case <-time.After(time.Duration(rep.latencyMS) * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	resp := map[string]any{
		"id":                 "chatcmpl-fixture-" + requestKey(req.Model, req.Messages)[:16],
		"object":             "chat.completion",
		"created":            fixedCreated,
		"model":              req.Model,
		"system_fingerprint": "fp_fixture",
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": rep.content},
			"finish_reason": "stop",
		}},
		"usage": map[string]any{
			"prompt_tokens":     rep.usage.InputTokens,
			"completion_tokens": rep.usage.OutputTokens,
			"total_tokens":      rep.usage.InputTokens + rep.usage.OutputTokens,
		},
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// fail answers with an OpenAI-shaped error and remembers it: a request the
// fixture cannot answer means answers.yaml and the suites disagree.
func (f *fakeServer) fail(w http.ResponseWriter, status int, msg string) {
	f.mu.Lock()
	f.unmatched = append(f.unmatched, msg)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error": map[string]any{"message": "record-fixture: " + msg, "type": "invalid_request_error"},
	})
}

// problems lists requests that went unanswered and answers never asked for.
func (f *fakeServer) problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string(nil), f.unmatched...)
	for _, r := range f.table.byRequest {
		if f.served[r.what] == 0 {
			out = append(out, r.what+": answer was never requested")
		}
	}
	for _, j := range f.table.judges {
		if f.served[j.what] == 0 {
			out = append(out, j.what+": judge reply was never requested")
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeServer) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.served {
		n += c
	}
	return n
}
