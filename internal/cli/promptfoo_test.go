package cli

import (
	"bytes"
	"context"
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
	writeFiles(t, dir, files)
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

// TestCheckPromptfooRepo: a repo with only a promptfooconfig.yaml gets the
// check with no rewrite. Editing the prompt file evaluates it at base and
// head and shows the regression (good → positive at base, the new wording
// answers neutral for "lovely"); editing only the README is no LLM change.
func TestCheckPromptfooRepo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml":  "prompts: [file://prompts/sentiment.txt]\nproviders: [openai:chat:gpt-4o-mini]\ntests: file://tests.csv\n",
		"prompts/sentiment.txt": "Is this good? {{text}}\n",
		"tests.csv":             "text,__expected,__description\nA good day,positive,good\nA lovely day,negative,lovely\n",
		"README.md":             "demo\n",
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/sentiment.txt": "Label the sentiment: {{text}}\n"})
	git(t, dir, "commit", "-qam", "reword")
	model, calls := fakeModel(t)
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d (the lovely case regresses)\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout.String(), stderr.String())
	}
	if *calls != 4 {
		t.Errorf("%d model calls, want 4 (2 cases at base and head)", *calls)
	}
	if !strings.Contains(stdout.String(), "sentiment") {
		t.Errorf("check output does not name the prompt:\n%s", stdout.String())
	}

	head := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"README.md": "docs only\n"})
	git(t, dir, "commit", "-qam", "docs")
	stdout.Reset()
	code = Main(context.Background(), []string{"check", "-C", dir, "--base", head}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK || !strings.Contains(stdout.String(), "no LLM changes") {
		t.Errorf("README-only change: exit %d\n%s", code, stdout.String())
	}
}
