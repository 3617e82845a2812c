package cli

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestEvalBadInputExitsTwoWithFileAndLine drives `promptgate eval` over broken
// repos: each must exit 2 with one clear message naming file and line.
func TestEvalBadInputExitsTwoWithFileAndLine(t *testing.T) {
	t.Parallel()
	model := llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, _ llmfake.Call) {
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"error":{"message":"The model 'gpt-9-imaginary' does not exist","type":"invalid_request_error","code":"model_not_found"}}`))
	}})
	prompt := "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\n{{text}}\n"
	suite := "prompt: p\ntests:\n  - description: one\n    vars: {text: hi}\n    assert: [{type: contains, value: hi}]\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string // regexp over stderr
	}{
		{"malformed yaml", map[string]string{"prompts/p.prompt": prompt, "evals/s.yaml": "prompt: p\ntests:\n  - vars: {text: [\n"}, `evals/s\.yaml:\d+: `},
		{"unknown assertion type", map[string]string{"prompts/p.prompt": prompt,
			"evals/s.yaml": strings.Replace(suite, "type: contains", "type: containz", 1)}, `evals/s\.yaml:5: .*unknown assertion type containz`},
		{"missing prompt", map[string]string{"prompts/p.prompt": prompt, "evals/s.yaml": strings.Replace(suite, "prompt: p", "prompt: nope", 1)}, `evals/s\.yaml:1: .*nope`},
		{"var of the wrong type", map[string]string{"prompts/p.prompt": prompt, "evals/s.yaml": strings.Replace(suite, "{text: hi}", "{text: 42}", 1)}, `evals/s\.yaml:4: .*text`},
		{"empty suite", map[string]string{"prompts/p.prompt": prompt, "evals/s.yaml": "prompt: p\ntests: []\n"}, `evals/s\.yaml:\d+: .*no tests`},
		{"unknown config key", map[string]string{"promptgate.yaml": "bugdet: {}\n", "prompts/p.prompt": prompt, "evals/s.yaml": suite}, `promptgate\.yaml:1: .*bugdet`},
		{"unknown model", map[string]string{"prompts/p.prompt": strings.Replace(prompt, "gpt-4.1-mini", "gpt-9-imaginary", 1), "evals/s.yaml": suite}, `prompts/p\.prompt:2: model "gpt-9-imaginary" is unknown`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet"}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want 2\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			if !regexp.MustCompile(tt.want).MatchString(stderr.String()) {
				t.Errorf("stderr does not match %q:\n%s", tt.want, stderr.String())
			}
		})
	}
}
