package llm_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestKeyRefused: a 401 or 403 is a key problem, named as one. Without a key
// (a fork run against OpenRouter or a keyed LiteLLM proxy) it is NoAPIKey,
// and later calls to that provider do not go out; with a key it is Auth,
// naming the variable that holds the refused key.
func TestKeyRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		key      string
		status   int
		wantKind llm.ErrorKind
		wantMsg  string
		wantReqs int64 // after three calls
	}{
		{name: "no key, 401", status: http.StatusUnauthorized, wantKind: llm.NoAPIKey,
			wantMsg: "$ROUTER_KEY is not set, and", wantReqs: 1},
		{name: "no key, 403", status: http.StatusForbidden, wantKind: llm.NoAPIKey,
			wantMsg: "refuses calls without a key", wantReqs: 1},
		{name: "wrong key", key: "sk-wrong", status: http.StatusUnauthorized, wantKind: llm.Auth,
			wantMsg: "the key in $ROUTER_KEY was refused: check it is a valid key for", wantReqs: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, tt.key, func(_ int, _ chatBody, w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(`{"error":{"message":"No auth credentials found","code":401}}`))
			})
			c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{
				{Name: "default", BaseURL: f.BaseURL(), APIKeyEnv: "ROUTER_KEY", APIKey: tt.key, MaxRetries: 3}}})
			for i := range 3 {
				_, err := c.Complete(context.Background(), llm.Request{Model: "anthropic/claude-sonnet-4-5", Messages: userMsg})
				var ce *llm.CallError
				if !errors.As(err, &ce) || ce.Kind != tt.wantKind || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("call %d: err = %v, want %v containing %q", i+1, err, tt.wantKind, tt.wantMsg)
				}
				if tt.key != "" && strings.Contains(err.Error(), tt.key) {
					t.Fatalf("error leaks the key: %v", err)
				}
			}
			if got := f.Requests(); got != tt.wantReqs {
				t.Errorf("%d requests reached the endpoint, want %d", got, tt.wantReqs)
			}
		})
	}
}
