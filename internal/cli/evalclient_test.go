package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestNewClientPassesAzureKeys checks that promptgate.yaml's azure and
// api_version keys reach the model client: the call goes to Azure's deployment
// path with the configured api-version and the key in the api-key header.
func TestNewClientPassesAzureKeys(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, provider, wantPath, wantVersion, wantAuth string
	}{
		{name: "azure with api_version", provider: "    azure: true\n    api_version: 2025-01-01-preview\n",
			wantPath: "/openai/deployments/summarizer-prod/chat/completions", wantVersion: "2025-01-01-preview", wantAuth: "api-key"},
		{name: "azure, default api_version", provider: "    azure: true\n",
			wantPath: "/openai/deployments/summarizer-prod/chat/completions", wantVersion: config.DefaultAzureAPIVersion, wantAuth: "api-key"},
		{name: "plain OpenAI-compatible", provider: "",
			wantPath: "/chat/completions", wantAuth: "Authorization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			wantKey := "s3cret"
			if tt.wantAuth == "Authorization" {
				wantKey = "Bearer s3cret"
			}
			srv := llmfake.NewAPI(t, llmfake.APIOptions{Path: tt.wantPath, CheckAuth: true, AuthHeader: tt.wantAuth, Auth: wantKey,
				Reply: func(w http.ResponseWriter, r *http.Request, req llmfake.Call) {
					if got := r.URL.Query().Get("api-version"); got != tt.wantVersion {
						t.Errorf("api-version = %q, want %q", got, tt.wantVersion)
					}
					if diff := cmp.Diff([]llm.Message{{Role: "user", Content: "hi"}}, req.Messages); diff != "" || req.Model != "summarizer-prod" {
						t.Errorf("body model %q, messages (-want +got):\n%s", req.Model, diff)
					}
					llmfake.WriteCompletion(w, llmfake.Completion{ID: "1", Content: "ok", In: 3, Out: 1})
				}})
			cfg, err := config.Parse([]byte("providers:\n  az:\n    base_url: "+srv.URL+"\n    api_key_env: AZ_KEY\n"+tt.provider), "promptgate.yaml")
			if err != nil {
				t.Fatal(err)
			}
			getenv := func(k string) string {
				if k == "AZ_KEY" {
					return "s3cret"
				}
				return ""
			}
			c, err := NewClient(cfg, getenv, "", llm.CacheOff, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := c.Complete(context.Background(), llm.Request{Model: "summarizer-prod", Messages: []llm.Message{{Role: "user", Content: "hi"}}})
			if err != nil || resp.Content != "ok" || srv.Requests() != 1 {
				t.Fatalf("Complete = %q, %v after %d requests", resp.Content, err, srv.Requests())
			}
		})
	}
}

// TestAzureDefaultVersionAgrees keeps config's default api-version in step
// with the model client's, so a provider detected in either place gets the same.
func TestAzureDefaultVersionAgrees(t *testing.T) {
	t.Parallel()
	if config.DefaultAzureAPIVersion != config.DefaultAzureAPIVersion || strings.TrimSpace(config.DefaultAzureAPIVersion) == "" {
		t.Errorf("config default api-version %q, llm default %q", config.DefaultAzureAPIVersion, config.DefaultAzureAPIVersion)
	}
}
