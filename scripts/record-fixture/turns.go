package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// turnYAML is one model turn of a tool-using case in answers.yaml: the tool
// calls the model makes (arguments as the JSON text the model writes), or
// its final reply.
type turnYAML struct {
	Reply     string         `yaml:"reply"`
	ToolCalls []toolCallYAML `yaml:"tool_calls"`
	Usage     *usageYAML     `yaml:"usage"`
	LatencyMS int64          `yaml:"latency_ms"`
}

// toolCallYAML is one scripted tool call.
type toolCallYAML struct {
	Name      string `yaml:"name"`
	Arguments string `yaml:"arguments"`
}

// turn is one scripted answer of a tool-using case.
type turn struct {
	reply     string
	calls     []llm.ToolCall
	usage     *llm.Usage
	latencyMS int64
}

func (u *usageYAML) usage() *llm.Usage {
	if u == nil {
		return nil
	}
	return &llm.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
}

// readTurns reads a case's turns. Each call gets an id derived from the case
// and its place, so re-recording gives the same ids (and cache keys).
func readTurns(suitePath, desc string, raw []turnYAML) ([]turn, error) {
	var out []turn
	for i, r := range raw {
		if (r.Reply == "") == (len(r.ToolCalls) == 0) {
			return nil, fmt.Errorf("%s: %q turn %d needs a reply or tool_calls (not both)", suitePath, desc, i+1)
		}
		t := turn{reply: r.Reply, usage: r.Usage.usage(), latencyMS: r.LatencyMS}
		for j, c := range r.ToolCalls {
			if c.Name == "" {
				return nil, fmt.Errorf("%s: %q turn %d call %d needs a name", suitePath, desc, i+1, j+1)
			}
			sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d", suitePath, desc, i, j))
			t.calls = append(t.calls, llm.ToolCall{ID: "call_" + hex.EncodeToString(sum[:12]), Name: c.Name, Arguments: c.Arguments})
		}
		out = append(out, t)
	}
	if n := len(out); n > 0 && out[n-1].reply == "" && len(out[n-1].calls) == 0 {
		return nil, fmt.Errorf("%s: %q has an empty last turn", suitePath, desc)
	}
	return out, nil
}

// finalReply is the text the case's output is graded on: the reply, or the
// last turn's.
func (a answer) finalReply() string {
	if len(a.Turns) > 0 {
		return a.Turns[len(a.Turns)-1].reply
	}
	return a.Reply
}

// turnLabel names turn i of a case, for the served counts and errors.
func turnLabel(what string, i int) string { return fmt.Sprintf("%s (turn %d)", what, i+1) }

// splitLoop splits a request into the prompt as rendered and the tool loop
// after it: everything from the first assistant message with tool calls on.
func splitLoop(msgs []llm.Message) (rendered, loop []llm.Message) {
	i := slices.IndexFunc(msgs, func(m llm.Message) bool { return m.Role == "assistant" && len(m.ToolCalls) > 0 })
	if i < 0 {
		return msgs, nil
	}
	return msgs[:i], msgs[i:]
}

// turnOf checks that loop, the tool loop so far, carries back exactly the
// calls the script made in its earlier turns, each followed by one tool
// message per call with that call's id, and returns the turn asked for.
func turnOf(script []turn, loop []llm.Message) (int, error) {
	i := 0
	for len(loop) > 0 {
		if i >= len(script) || len(script[i].calls) == 0 {
			return 0, fmt.Errorf("the request carries more tool turns than the script has")
		}
		want, m := script[i].calls, loop[0]
		if m.Role != "assistant" || !slices.Equal(m.ToolCalls, want) {
			return 0, fmt.Errorf("turn %d: the request's assistant message carries calls %v, the script made %v", i+1, m.ToolCalls, want)
		}
		loop = loop[1:]
		for _, c := range want {
			if len(loop) == 0 || loop[0].Role != "tool" || loop[0].ToolCallID != c.ID {
				return 0, fmt.Errorf("turn %d: no tool message answering call %s (%s)", i+1, c.ID, c.Name)
			}
			loop = loop[1:]
		}
		i++
	}
	if i >= len(script) {
		return 0, fmt.Errorf("the loop asked for turn %d; the script has %d", i+1, len(script))
	}
	return i, nil
}

// scripted answers turn i of a tool-using case. Without usage in
// answers.yaml, the input is estimated from the whole conversation and the
// tools offered (their JSON, as OpenAI counts them into the prompt), the
// output from the reply and the calls' names and arguments.
func scripted(req llmfake.Request, msgs []llm.Message, t turn) (llmfake.Reply, int64) {
	var out strings.Builder
	out.WriteString(t.reply)
	for _, c := range t.calls {
		out.WriteString(c.Name + " " + c.Arguments + "      ")
	}
	u := estimateUsage(msgs, out.String())
	if tools, err := json.Marshal(req.Tools); err == nil && len(req.Tools) > 0 {
		u.InputTokens += tokens(string(tools))
	}
	if t.usage != nil {
		u = *t.usage
	}
	ms := t.latencyMS
	if ms == 0 {
		ms = estimateLatency(req.Model, u.OutputTokens, out.String())
	}
	return llmfake.Reply{Content: t.reply, ToolCalls: t.calls, Usage: &u}, ms
}
