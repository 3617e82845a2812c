package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/suite"
)

// ToolCall is one tool call a case's model made, with the turn (1-based
// model call) that made it and the result promptgate handed back. Nothing is
// executed: the result is the test's `tool_results` entry.
type ToolCall struct {
	Turn      int    `json:"turn"`
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// Result is the text handed back; Answered is false when the test gave
	// no result for the tool, which ended the loop at this call.
	Result   string `json:"result,omitempty"`
	Answered bool   `json:"answered"`
}

// conversation is a case's calls to the model: one per turn of the tool
// loop, with their sums.
type conversation struct {
	final    llm.Response // the last answer
	calls    []ToolCall
	turns    int
	ended    string // why the loop stopped on tool calls, "" on a text reply
	sum      llm.Response
	cost     priced
	observed []observedCall
	messages []llm.Message // what the last call sent
}

// observedCall is one call kept for the Observer until the case is graded.
type observedCall struct {
	rec   TraceRecord
	resp  llm.Response
	err   error
	start time.Time
}

// resultQueue hands out a case's tool results: a list one item per call, any
// other value on every call.
type resultQueue struct {
	results map[string]any
	used    map[string]int
}

// next is the result for one call of tool name, as JSON text (a string as
// is), and whether the test gave one.
func (q *resultQueue) next(name string) (string, bool) {
	v, ok := q.results[name]
	if !ok {
		return "", false
	}
	if list, isList := v.([]any); isList {
		i := q.used[name]
		if i >= len(list) {
			return "", false
		}
		q.used[name] = i + 1
		v = list[i]
	}
	if s, isStr := v.(string); isStr {
		return s, true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// converse runs the tool loop: it calls the model, answers each tool call
// with the test's result and calls again, until the model replies without a
// tool call, calls a tool the test gives no result for, or max_turns calls
// were made. Every call is cached, retried, paced, priced and traced on its
// own; the conversation sums them. An error ends the loop.
func (r *Runner) converse(ctx context.Context, j job, req llm.Request) (*conversation, error) {
	maxTurns := j.s.MaxTurns
	if maxTurns <= 0 {
		maxTurns = suite.DefaultMaxTurns
	}
	q := &resultQueue{results: j.c.ToolResults, used: map[string]int{}}
	cv := &conversation{cost: priced{CostKnown: true}, sum: llm.Response{CacheHit: true}}
	msgs := req.Messages
	for turn := 1; ; turn++ {
		req.Messages = msgs
		cv.messages = msgs
		start := time.Now()
		resp, err := r.Client.Complete(ctx, req)
		pc, rec := r.record(j, req, resp, err, "", turn)
		cv.observed = append(cv.observed, observedCall{rec: rec, resp: resp, err: err, start: start})
		cv.turns = turn
		cv.sum.Retries += resp.Retries
		if err != nil {
			return cv, err
		}
		cv.final = resp
		cv.sum.Usage.InputTokens += resp.Usage.InputTokens
		cv.sum.Usage.OutputTokens += resp.Usage.OutputTokens
		cv.sum.Latency += resp.Latency
		cv.sum.CacheHit = cv.sum.CacheHit && resp.CacheHit
		cv.cost.CostUSD += pc.CostUSD
		cv.cost.CostKnown = cv.cost.CostKnown && pc.CostKnown
		if len(resp.ToolCalls) == 0 {
			return cv, nil
		}
		msgs = append(msgs[:len(msgs):len(msgs)], llm.Message{Role: "assistant", Content: resp.Content, ToolCalls: resp.ToolCalls})
		for _, c := range resp.ToolCalls {
			tc := ToolCall{Turn: turn, ID: c.ID, Name: c.Name, Arguments: c.Arguments}
			tc.Result, tc.Answered = q.next(c.Name)
			cv.calls = append(cv.calls, tc)
			if !tc.Answered && cv.ended == "" {
				cv.ended = fmt.Sprintf("no tool_results for %s: the loop ended at its call", c.Name)
			}
			msgs = append(msgs, llm.Message{Role: "tool", ToolCallID: c.ID, Content: tc.Result})
		}
		if cv.ended != "" {
			return cv, nil
		}
		if turn >= maxTurns {
			cv.ended = fmt.Sprintf("max_turns (%d) reached with tool calls unanswered by the model", maxTurns)
			return cv, nil
		}
	}
}

// outputText is what assertions other than the tool ones grade: the final
// reply's text, or, when the loop ended on tool calls without text, the
// calls in OpenAI's shape, as promptfoo shows a tool-calling answer.
func (cv *conversation) outputText() string {
	if cv.final.Content != "" || len(cv.final.ToolCalls) == 0 {
		return cv.final.Content
	}
	return openAIToolCalls(cv.final.ToolCalls)
}

// openAIToolCalls writes calls as OpenAI's tool_calls JSON.
func openAIToolCalls(calls []llm.ToolCall) string {
	type fn struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	}
	type call struct {
		ID       string `json:"id"`
		Type     string `json:"type"`
		Function fn     `json:"function"`
	}
	out := make([]call, len(calls))
	for i, c := range calls {
		out[i] = call{ID: c.ID, Type: "function", Function: fn{Name: c.Name, Arguments: c.Arguments}}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// llmCalls are the conversation's tool calls as the assertions see them.
func (cv *conversation) llmCalls() []llm.ToolCall {
	out := make([]llm.ToolCall, len(cv.calls))
	for i, c := range cv.calls {
		out[i] = llm.ToolCall{ID: c.ID, Name: c.Name, Arguments: c.Arguments}
	}
	return out
}
