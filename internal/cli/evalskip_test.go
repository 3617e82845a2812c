package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
)

// TestEvalSkippedRunsExitTwoWithReason runs `promptgate eval` where no call can
// be made: offline with an empty cache, and against OpenAI without a key. Each
// exits 2 naming the first skipped case and what to do, makes no request, and
// still reports input-token estimates.
func TestEvalSkippedRunsExitTwoWithReason(t *testing.T) {
	t.Parallel()
	prompt := "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\nSay {{text}}\n"
	suite := "prompt: p\ntests:\n  - description: one\n    vars: {text: hi}\n    assert: [{type: contains, value: hi}]\n  - vars: {text: yo}\n"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"offline miss", []string{"--offline"}, `eval: 2 of 2 case runs could not be made (first: evals/s.yaml:3 "one": default/gpt-4.1-mini: cache-miss: no recorded response for this call in offline mode; run once without --offline, with $OPENAI_API_KEY set, to record it)`},
		{"no API key", []string{"--no-cache"}, `eval: 2 of 2 case runs could not be made (first: evals/s.yaml:3 "one": default/gpt-4.1-mini: no-api-key: $OPENAI_API_KEY is not set; it is needed for https://api.openai.com/v1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"prompts/p.prompt": prompt, "evals/s.yaml": suite})
			var stdout, stderr bytes.Buffer
			args := append([]string{"eval", "-C", dir, "--quiet", "--format", "json", "--cache-dir", t.TempDir()}, tt.args...)
			code := Main(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want 2\nstderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", stderr.String(), tt.want)
			}
			var rep eval.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("json report: %v\n%s", err, stdout.String())
			}
			s := rep.Suites[0]
			if s.Skipped != 2 || s.MeanEstimatedInputTokens <= 0 || s.Cases[0].EstimatedInputTokens <= 0 || rep.Calls != 0 {
				t.Errorf("skipped %d, mean estimate %v, case estimate %d, calls %d", s.Skipped, s.MeanEstimatedInputTokens, s.Cases[0].EstimatedInputTokens, rep.Calls)
			}
		})
	}
}
