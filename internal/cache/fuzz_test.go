package cache

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/llm"
)

// FuzzDecodeEntry feeds arbitrary bytes to the entry parser: it must never
// panic, and anything it accepts must be the entry for the key it was asked
// about and survive a write and re-read unchanged.
func FuzzDecodeEntry(f *testing.F) {
	f.Add([]byte(`{}`), "")
	f.Add([]byte(`{"key":"x","request":{"messages":null}}`), "x")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		e, err := DecodeEntry(b, key)
		if err != nil {
			return
		}
		if e.Key != key || Key(e.Provider, e.Endpoint, e.Model, e.Request.Messages, e.Request.Params) != key {
			t.Fatalf("accepted an entry whose contents do not hash to %q", key)
		}
		again, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("re-encode accepted entry: %v", err)
		}
		e2, err := DecodeEntry(again, key)
		if err != nil {
			t.Fatalf("re-decode accepted entry: %v", err)
		}
		if diff := cmp.Diff(e, e2); diff != "" {
			t.Fatalf("entry changed across a round trip (-first +second):\n%s", diff)
		}
	})
}

// FuzzKey checks that Key never panics and always yields a valid file name,
// including for non-finite temperatures that JSON cannot encode.
func FuzzKey(f *testing.F) {
	f.Add("default", "https://api.openai.com/v1", "gpt-4o-mini", "user", "hello", 0.7, 64, true)
	f.Fuzz(func(t *testing.T, provider, endpoint, model, role, content string, temp float64, maxTokens int, jsonMode bool) {
		k := Key(provider, endpoint, model, []llm.Message{{Role: role, Content: content}}, llm.Params{Temperature: &temp, MaxTokens: maxTokens, JSONMode: jsonMode})
		if !validKey(k) {
			t.Fatalf("Key = %q, not a valid key", k)
		}
	})
}
