// Package llm talks to OpenAI-compatible chat-completions endpoints: it routes a
// prompt's model string to a configured provider, limits concurrency, retries
// transient failures, and answers from the response cache where it can.
package llm

import (
	"context"
	"time"
)

// Message is one chat message sent to the model.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	// ToolCalls are the calls an assistant message made; ToolCallID names the
	// call a "tool" message answers. Both are omitted when empty, so a plain
	// message hashes into the cache key exactly as before tools existed.
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// Params are the generation parameters taken from a prompt's `config` front matter.
// Pointer fields are unset when nil, so an unset value never reaches the cache key.
type Params struct {
	Temperature *float64 `json:"temperature,omitempty"`
	TopP        *float64 `json:"top_p,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Stop        []string `json:"stop,omitempty"`
	Seed        *int     `json:"seed,omitempty"`
	// JSONMode asks for response_format {"type":"json_object"}.
	JSONMode bool `json:"json_mode,omitempty"`
	// Tools are offered to the model in OpenAI's `tools` shape; ToolChoice is
	// "auto", "none", "required" or a tool's name (sent as tool_choice).
	Tools      []Tool `json:"tools,omitempty"`
	ToolChoice string `json:"tool_choice,omitempty"`
	// Schema, when set, asks for response_format json_schema with strict on.
	Schema *OutputSchema `json:"response_schema,omitempty"`
	// Sample numbers the runs of a case repeated for flaky outputs (a suite's
	// repeat: N gives 0…N-1). It is never sent to the model; it only keeps
	// each run's cached response apart, so a repeat is a fresh sample rather
	// than a replay of the first.
	Sample int `json:"sample,omitempty"`
}

// Request is one chat completion to make. Model is the prompt's model string as
// written (for example "local/llama3.1" or "anthropic/claude-sonnet-4-5"); the
// client resolves the provider from it.
type Request struct {
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Params   Params    `json:"params"`
}

// Usage is the token usage the endpoint reported.
type Usage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// Response is a completed call, from the network or the cache.
type Response struct {
	Content string `json:"content"`
	Usage   Usage  `json:"usage"`
	// Provider is the name of the provider that served the call; Model is the model
	// name actually sent to it (the provider prefix removed).
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// Latency is the wall time of the successful attempt; for a cache hit it is the
	// latency recorded when the response was first fetched.
	Latency  time.Duration `json:"latency"`
	Retries  int           `json:"retries"`
	CacheHit bool          `json:"cache_hit"`
	// Throttled counts attempts answered 429; Waited is the time spent held
	// back by pacing and waiting out 429s and retries. Neither is cached.
	Throttled int           `json:"-"`
	Waited    time.Duration `json:"-"`
	// FinishReason is the first choice's finish_reason ("stop", "length", …)
	// and ResponseModel the model the endpoint says answered; both are empty
	// for responses recorded before they were kept.
	FinishReason  string `json:"finish_reason,omitempty"`
	ResponseModel string `json:"response_model,omitempty"`
	// ToolCalls are the tool calls the model asked for, in its order.
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
}

// Completer makes chat completions. The eval runner and the llm-rubric judge
// depend on this interface; *Client implements it.
type Completer interface {
	Complete(ctx context.Context, req Request) (Response, error)
}
