package main

import (
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// TestTurnOf: a request of the tool loop is answered with the turn it asks
// for only when it carries back exactly the script's earlier calls, each
// answered by a tool message with its id.
func TestTurnOf(t *testing.T) {
	t.Parallel()
	script, err := readTurns("evals/a.yaml", "case", []turnYAML{
		{ToolCalls: []toolCallYAML{{Name: "lookup_order", Arguments: `{"order_id":"ORD-1"}`}, {Name: "lookup_order", Arguments: `{"order_id":"ORD-2"}`}}},
		{Reply: "Both shipped."},
	})
	if err != nil {
		t.Fatal(err)
	}
	calls := script[0].calls
	if calls[0].ID == calls[1].ID || !strings.HasPrefix(calls[0].ID, "call_") {
		t.Fatalf("call ids %q and %q", calls[0].ID, calls[1].ID)
	}
	if _, err := readTurns("evals/a.yaml", "case", []turnYAML{{}}); err == nil {
		t.Error("an empty turn was accepted")
	}

	rendered := []llm.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "where are ORD-1 and ORD-2?"}}
	call := llm.Message{Role: "assistant", ToolCalls: calls}
	res1 := llm.Message{Role: "tool", Content: "shipped", ToolCallID: calls[0].ID}
	res2 := llm.Message{Role: "tool", Content: "shipped", ToolCallID: calls[1].ID}
	wrongArgs := llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{calls[0], {ID: calls[1].ID, Name: "lookup_order", Arguments: `{}`}}}
	tests := []struct {
		name    string
		msgs    []llm.Message
		want    int
		wantErr string
	}{
		{"first turn", rendered, 0, ""},
		{"second turn", append(append([]llm.Message{}, rendered...), call, res1, res2), 1, ""},
		{"a result missing", append(append([]llm.Message{}, rendered...), call, res1), 0, "no tool message answering call"},
		{"other arguments", append(append([]llm.Message{}, rendered...), wrongArgs, res1, res2), 0, "the script made"},
		{"past the script", append(append([]llm.Message{}, rendered...), call, res1, res2, call, res1, res2), 0, "more tool turns than the script has"},
	}
	for _, tt := range tests {
		front, loop := splitLoop(tt.msgs)
		if len(front) != len(rendered) {
			t.Errorf("%s: split off %d rendered messages, want %d", tt.name, len(front), len(rendered))
		}
		got, err := turnOf(script, loop)
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("%s: turn %d, %v; want turn %d", tt.name, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
