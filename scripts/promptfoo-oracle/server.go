package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// judgePrefix starts the model name an llm-rubric grader is called with; the
// rest is the case id, so the server knows which canned verdict to send.
const judgePrefix = "judge-"

// echoServer is a local OpenAI-compatible chat endpoint: a request whose last
// message is a case id gets that case's output, a grader request (model
// judge-<id>) gets the case's judge reply.
type echoServer struct {
	cases map[string]Case
	mu    sync.Mutex
	miss  []string
}

func newEchoServer(cases []Case) (*echoServer, *httptest.Server) {
	e := &echoServer{cases: map[string]Case{}}
	for _, c := range cases {
		e.cases[c.ID] = c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", e.chat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		e.missed(fmt.Sprintf("unexpected route %s %s", r.Method, r.URL.Path))
		http.Error(w, "not found", http.StatusNotFound)
	})
	return e, httptest.NewServer(mux)
}

func (e *echoServer) missed(s string) {
	e.mu.Lock()
	e.miss = append(e.miss, s)
	e.mu.Unlock()
}

func (e *echoServer) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Content any `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		e.missed("undecodable request")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var content string
	if id, ok := strings.CutPrefix(req.Model, judgePrefix); ok {
		c, found := e.cases[id]
		if !found {
			e.missed("judge for unknown case " + id)
		}
		content = c.Judge
	} else {
		last, _ := req.Messages[len(req.Messages)-1].Content.(string)
		c, found := e.cases[strings.TrimSpace(last)]
		if !found {
			e.missed("unknown case " + last)
		}
		content = c.Output
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-oracle", "object": "chat.completion", "created": 1767225600, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
	})
}
