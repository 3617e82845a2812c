package llmfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/llm"
)

// TestRespondHookRefusesAndSetsUsage: a Reply with Refuse is answered 400
// and listed in Problems; a Reply with Usage reports those counts instead of
// the estimate; Conversation hands the hook the tool calls as package llm
// holds them.
func TestRespondHookRefusesAndSetsUsage(t *testing.T) {
	t.Parallel()
	var got []llm.Message
	fake := New(Options{Respond: func(r Request) Reply {
		switch r.Messages[len(r.Messages)-1].Text() {
		case "unknown":
			return Reply{Refuse: "no answer for this"}
		case "":
			got = r.Conversation()
		}
		return Reply{Content: "fixed", Usage: &llm.Usage{InputTokens: 7, OutputTokens: 11}}
	}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := srv.Client().Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	if status, _ := post(`{"model":"m","messages":[{"role":"user","content":"unknown"}]}`); status != http.StatusBadRequest {
		t.Errorf("refused request: status %d, want 400", status)
	}
	if p := fake.Problems(); len(p) != 1 || p[0] != "no answer for this" || fake.Bad.Load() != 1 {
		t.Errorf("problems %q, bad %d; want the refusal once", p, fake.Bad.Load())
	}

	status, body := post(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	var resp struct {
		Choices []struct{ Message struct{ Content string } }
		Usage   struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
		}
	}
	if err := json.Unmarshal([]byte(body), &resp); err != nil || status != http.StatusOK {
		t.Fatalf("status %d, body %s: %v", status, body, err)
	}
	if resp.Choices[0].Message.Content != "fixed" || resp.Usage.Prompt != 7 || resp.Usage.Completion != 11 {
		t.Errorf("answer %+v, want content fixed with usage 7/11", resp)
	}

	const turn = `{"model":"m","messages":[{"role":"user","content":"weather?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},` +
		`{"role":"tool","tool_call_id":"c1","content":""}],` +
		`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
	if status, body := post(turn); status != http.StatusOK {
		t.Fatalf("tool turn: status %d, body %s", status, body)
	}
	want := []llm.Message{
		{Role: "user", Content: "weather?"},
		{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Oslo"}`}}},
		{Role: "tool", ToolCallID: "c1"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conversation (-want +got):\n%s", diff)
	}
}
