package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalPromptfooConfig: `eval --promptfoo FILE` runs a promptfoo config as
// it is, prints its unsupported keys as file:line warnings, and exits 1 when a
// case fails.
func TestEvalPromptfooConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := map[string]string{
		"pf/promptfooconfig.yaml": "description: sentiment\nprompts: [file://prompts.txt]\nproviders: [openai:chat:gpt-4o-mini]\noutputPath: out.json\ntests: file://cases.csv\n",
		"pf/prompts.txt":          "Is this good or bad? {{text}}\n---\nLabel the sentiment: {{text}}\n",
		"pf/cases.csv":            "text,__expected,__description\nA good day,positive,good\nA lovely day,positive,lovely\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	model, calls := fakeModel(t)
	env := map[string]string{"OPENAI_BASE_URL": model.URL + "/v1", "OPENAI_API_KEY": "k"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--promptfoo", "pf/promptfooconfig.yaml", "--no-cache", "--quiet", "--format", "json"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d (the lovely case fails on the second prompt)\nstderr:\n%s", code, ExitGateFail, stderr.String())
	}
	if *calls != 4 {
		t.Errorf("%d model calls, want 4 (2 prompts x 2 tests)", *calls)
	}
	if !strings.Contains(stderr.String(), `warning: pf/promptfooconfig.yaml:4: key "outputPath" is not supported`) {
		t.Errorf("no file:line warning for outputPath:\n%s", stderr.String())
	}
	for _, want := range []string{`"prompt": "prompts-1"`, `"prompt": "prompts-2"`, `"description": "lovely"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %s:\n%s", want, stdout.String())
		}
	}
}
