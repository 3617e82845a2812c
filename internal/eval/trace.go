package eval

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/promptgate/promptgate/internal/llm"
)

// TraceRecord is one line of the --trace JSONL file: one model call.
type TraceRecord struct {
	Prompt        string `json:"prompt"`
	PromptVersion string `json:"prompt_version"`
	Variant       string `json:"variant,omitempty"`
	Suite         string `json:"suite"`
	Case          int    `json:"case"`
	Repeat        int    `json:"repeat"`
	Role          string `json:"role,omitempty"` // "judge" for llm-rubric grading calls
	// Turn is the call's place in the case's tool loop, from 1; 0 for a
	// judge call.
	Turn     int           `json:"turn,omitempty"`
	Provider string        `json:"provider,omitempty"`
	Model    string        `json:"model"`
	Messages []llm.Message `json:"messages"`
	Response string        `json:"response"`
	// ToolCalls are the tool calls the model answered with.
	ToolCalls    []llm.ToolCall `json:"tool_calls,omitempty"`
	InputTokens  int            `json:"input_tokens"`
	OutputTokens int            `json:"output_tokens"`
	// EstimatedInputTokens is set when the call could not be made (offline
	// miss, no API key): an estimate from the messages, see EstimateInputTokens.
	EstimatedInputTokens int     `json:"estimated_input_tokens,omitempty"`
	LatencyMS            float64 `json:"latency_ms"`
	// CostUSD is null when the model has no price.
	CostUSD  *float64 `json:"cost_usd"`
	CacheHit bool     `json:"cache_hit"`
	Retries  int      `json:"retries"`
	// Throttled counts attempts the provider answered 429; WaitMS is the time
	// the call was held back by rate-limit pacing and waiting out 429s and
	// retries.
	Throttled int     `json:"throttled,omitempty"`
	WaitMS    float64 `json:"wait_ms,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func newTraceRecord(j job, req llm.Request, resp llm.Response, err error, pc priced, role string) TraceRecord {
	rec := TraceRecord{Prompt: j.p.Name, PromptVersion: j.p.Hash, Variant: j.p.Variant, Suite: j.s.Path,
		Case: j.c.Index, Repeat: j.repeat, Role: role, Provider: resp.Provider, Model: req.Model,
		Messages: req.Messages, Response: resp.Content, ToolCalls: resp.ToolCalls, InputTokens: resp.Usage.InputTokens,
		OutputTokens: resp.Usage.OutputTokens, LatencyMS: float64(resp.Latency.Microseconds()) / 1000,
		CacheHit: resp.CacheHit, Retries: resp.Retries, Throttled: resp.Throttled,
		WaitMS: float64(resp.Waited.Microseconds()) / 1000}
	if pc.CostKnown {
		c := pc.CostUSD
		rec.CostUSD = &c
	}
	if err != nil {
		rec.Error = err.Error()
		if ce, ok := errors.AsType[*llm.CallError](err); ok {
			rec.Throttled = ce.Throttled
		}
		if unavailable(err) {
			rec.EstimatedInputTokens = EstimateInputTokens(req.Messages)
		}
	}
	return rec
}

// TraceWriter writes TraceRecords as JSON lines. It is safe for concurrent use.
type TraceWriter struct {
	mu  sync.Mutex
	w   *bufio.Writer
	err error
}

// NewTraceWriter returns a writer over w. Call Flush when done.
func NewTraceWriter(w io.Writer) *TraceWriter { return &TraceWriter{w: bufio.NewWriter(w)} }

// Write appends one record; the first write error is kept for Flush.
func (t *TraceWriter) Write(rec TraceRecord) {
	b, err := json.Marshal(rec)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return
	}
	if err == nil {
		b = append(b, '\n')
		_, err = t.w.Write(b)
	}
	t.err = err
}

// Flush writes buffered records and returns the first error seen.
func (t *TraceWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.w.Flush(); err != nil && t.err == nil {
		t.err = err
	}
	return t.err
}
