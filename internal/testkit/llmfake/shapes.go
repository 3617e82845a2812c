package llmfake

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/promptgate/promptgate/internal/llm"
)

// Request is a chat-completions body as the server decoded it, for a Respond
// hook or a test to inspect: messages with their tool calls, the tools
// offered, tool_choice and response_format as sent.
type Request struct {
	Model          string          `json:"model"`
	Messages       []WireMessage   `json:"messages"`
	MaxTokens      int             `json:"max_tokens"`
	Tools          []WireTool      `json:"tools,omitempty"`
	ToolChoice     json.RawMessage `json:"tool_choice,omitempty"`
	ResponseFormat json.RawMessage `json:"response_format,omitempty"`
}

// WireMessage is one message in OpenAI's wire shape.
type WireMessage struct {
	Role       string         `json:"role"`
	Content    *string        `json:"content"`
	ToolCalls  []WireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

// WireToolCall is an assistant message's tool call in OpenAI's wire shape.
type WireToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// WireTool is one offered tool in OpenAI's wire shape.
type WireTool struct {
	Type     string `json:"type"`
	Function *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// Reply is what a Respond hook answers: text, tool calls, or both.
type Reply struct {
	Content   string
	ToolCalls []llm.ToolCall
	// Usage, when set, is the usage reported (and charged against the
	// limits) instead of the server's estimate, for a recording that must
	// carry exact token counts.
	Usage *llm.Usage
	// Refuse, when set, answers the request 400 with this message instead,
	// counted in Bad and listed in Problems: the hook found nothing to answer.
	Refuse string
}

// Text returns the message's content, "" when it has none.
func (m WireMessage) Text() string {
	if m.Content == nil {
		return ""
	}
	return *m.Content
}

// Conversation is the request's messages as package llm holds them, tool
// calls included, for a hook that matches a request on what was rendered.
func (r Request) Conversation() []llm.Message {
	out := make([]llm.Message, len(r.Messages))
	for i, m := range r.Messages {
		out[i] = llm.Message{Role: m.Role, Content: m.Text(), ToolCallID: m.ToolCallID}
		for _, c := range m.ToolCalls {
			out[i].ToolCalls = append(out[i].ToolCalls, llm.ToolCall{ID: c.ID, Name: c.Function.Name, Arguments: c.Function.Arguments})
		}
	}
	return out
}

// checkShapes refuses what OpenAI refuses in tool use and structured output:
// a tool without a function name or object parameters, a tool_choice naming
// no offered tool, a tool message answering no earlier call, an assistant
// call without id, type or JSON arguments, and a json_schema format without
// name or schema.
func checkShapes(r Request) string {
	offered := map[string]bool{}
	for i, t := range r.Tools {
		if t.Type != "function" || t.Function == nil || t.Function.Name == "" {
			return fmt.Sprintf("tools[%d]: want {type: function, function: {name, …}}", i)
		}
		var params map[string]any
		if json.Unmarshal(t.Function.Parameters, &params) != nil || params["type"] != "object" {
			return fmt.Sprintf("tools[%d].function.parameters: want a JSON Schema object with type object, got %s", i, t.Function.Parameters)
		}
		offered[t.Function.Name] = true
	}
	if len(r.ToolChoice) > 0 {
		if len(r.Tools) == 0 {
			return "tool_choice is set but no tools are offered"
		}
		var s string
		var obj struct {
			Type     string `json:"type"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		switch {
		case json.Unmarshal(r.ToolChoice, &s) == nil:
			if !slices.Contains([]string{"auto", "none", "required"}, s) {
				return fmt.Sprintf("tool_choice %q: want auto, none or required", s)
			}
		case json.Unmarshal(r.ToolChoice, &obj) == nil && obj.Type == "function" && offered[obj.Function.Name]:
		default:
			return fmt.Sprintf("tool_choice %s names no offered tool", r.ToolChoice)
		}
	}
	if len(r.ResponseFormat) > 0 {
		var f struct {
			Type       string `json:"type"`
			JSONSchema *struct {
				Name   string          `json:"name"`
				Schema json.RawMessage `json:"schema"`
				Strict bool            `json:"strict"`
			} `json:"json_schema"`
		}
		if err := json.Unmarshal(r.ResponseFormat, &f); err != nil {
			return fmt.Sprintf("response_format: %v", err)
		}
		if f.Type == "json_schema" && (f.JSONSchema == nil || f.JSONSchema.Name == "" || len(f.JSONSchema.Schema) == 0) {
			return "response_format json_schema needs json_schema.name and json_schema.schema"
		}
	}
	pending := map[string]bool{}
	for i, m := range r.Messages {
		switch m.Role {
		case "assistant":
			for j, c := range m.ToolCalls {
				if c.ID == "" || c.Type != "function" || c.Function.Name == "" || !json.Valid([]byte(c.Function.Arguments)) {
					return fmt.Sprintf("messages[%d].tool_calls[%d]: want id, type function, name and JSON arguments", i, j)
				}
				pending[c.ID] = true
			}
		case "tool":
			if !pending[m.ToolCallID] {
				return fmt.Sprintf("messages[%d]: tool message answers %q, which no earlier assistant message called", i, m.ToolCallID)
			}
			delete(pending, m.ToolCallID)
		case "system", "user":
			if m.Content == nil {
				return fmt.Sprintf("messages[%d]: %s message without content", i, m.Role)
			}
		default:
			return fmt.Sprintf("messages[%d]: unknown role %q", i, m.Role)
		}
		if m.Role != "tool" && m.Role != "assistant" && len(pending) > 0 {
			return fmt.Sprintf("messages[%d]: a %s message before every tool call was answered", i, m.Role)
		}
	}
	return ""
}

// wireToolCalls writes a Reply's calls in OpenAI's shape.
func wireToolCalls(calls []llm.ToolCall) []map[string]any {
	out := make([]map[string]any, len(calls))
	for i, c := range calls {
		out[i] = map[string]any{"id": c.ID, "type": "function",
			"function": map[string]string{"name": c.Name, "arguments": c.Arguments}}
	}
	return out
}
