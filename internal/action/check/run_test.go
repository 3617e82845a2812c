package check

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
)

// countingModel answers every case right and counts calls per model.
type countingModel struct {
	mu    sync.Mutex
	calls map[string]int
}

func (m *countingModel) Complete(_ context.Context, req llm.Request) (llm.Response, error) {
	m.mu.Lock()
	m.calls[req.Model]++
	m.mu.Unlock()
	text := req.Messages[len(req.Messages)-1].Content
	answer := "negative"
	if strings.Contains(text, "good") {
		answer = "positive"
	}
	return llm.Response{Content: answer, Usage: llm.Usage{InputTokens: 100, OutputTokens: 2}, Model: req.Model}, nil
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSidesShareOneClient: base, head and the candidate run through one
// model client when their providers are the same, so they share its
// concurrency and rate limits; a provider the change adds gets head its own
// client (which refuses to call it), and base keeps base's.
func TestSidesShareOneClient(t *testing.T) {
	t.Parallel()
	const prompt = "---\nmodel: gpt-4o\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\n%s: {{text}}\n"
	suite := "prompt: classify\ntests:\n  - vars: {text: a good day}\n    assert: [{type: icontains, value: positive}]\n  - vars: {text: a bad day}\n    assert: [{type: icontains, value: negative}]\n"
	for _, tc := range []struct {
		name        string
		headConfig  string
		wantClients int
	}{
		{"same providers", "candidates: [gpt-4o-mini]\n", 1},
		{"head adds a provider", "candidates: [gpt-4o-mini]\nproviders:\n  mine: {base_url: \"http://127.0.0.1:1/v1\"}\n", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			gittest.Run(t, dir, "init", "-q")
			// two cases prove little: only a wide margin lets the tie recommend
			write(t, dir, map[string]string{"promptgate.yaml": "candidates: [gpt-4o-mini]\ncandidates_margin: 100\n",
				"prompts/classify.prompt": strings.Replace(prompt, "%s", "Classify the sentiment", 1), "evals/classify.yaml": suite})
			gittest.Run(t, dir, "add", "-A")
			gittest.Run(t, dir, "commit", "-qm", "base")
			base := gittest.Run(t, dir, "rev-parse", "HEAD")
			write(t, dir, map[string]string{"promptgate.yaml": tc.headConfig,
				"prompts/classify.prompt": strings.Replace(prompt, "%s", "Label the sentiment", 1)})
			gittest.Run(t, dir, "commit", "-qam", "head")
			model := &countingModel{calls: map[string]int{}}
			clients := 0
			out, err := Run(context.Background(), Options{Dir: dir, Base: base, Live: true, CacheDir: t.TempDir(),
				NewClient: func(*config.Config, llm.CacheMode, llm.ResponseCache, *llm.Budget) (llm.Completer, error) {
					clients++
					return model, nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			if clients != tc.wantClients {
				t.Errorf("model clients built = %d, want %d", clients, tc.wantClients)
			}
			if model.calls["gpt-4o"] != 4 || model.calls["gpt-4o-mini"] != 2 {
				t.Errorf("calls = %v, want gpt-4o 4 (base and head) and gpt-4o-mini 2 (the candidate)", model.calls)
			}
			if len(out.Result.Candidates) != 1 || !out.Result.Candidates[0].Recommended {
				t.Errorf("candidates = %+v, want gpt-4o-mini recommended", out.Result.Candidates)
			}
		})
	}
}
