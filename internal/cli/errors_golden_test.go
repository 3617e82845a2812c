package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/golden"
)

var durationRE = regexp.MustCompile(`cache hits, \S+`)

const (
	teachConfig = "gate:\n  max_cost_increase_pct: 20\nbudget: {monthly_usd: 100}\n"
	teachPrompt = "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    review: string, the product review\n    product?: string\n---\n" +
		"{{role \"user\"}}\nClassify this review{{#if product}} of {{product}}{{/if}}:\n{{review}}\n"
	teachSuite = "prompt: classify\nthreshold: 0.9\ntests:\n  - description: happy\n    vars:\n      review: great\n      product: kettle\n" +
		"    assert: [{type: contains, value: positive}]\n  - description: sad\n    vars: {review: awful}\n    assert: [{type: contains, value: negative}]\n"
)

// TestErrorsTeach pins, as golden files, what a user sees for each mistake a
// first hour with promptgate runs into: the file and line, the key path, a
// did-you-mean and the type or the values wanted. Each case edits one file of
// a small valid repo, runs the command, and records the exit code and stderr.
func TestErrorsTeach(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit map[string][2]string // file -> {old, new}
		args []string
	}{
		{name: "config-unknown-key", edit: map[string][2]string{"promptgate.yaml": {"max_cost_increase_pct", "max_cost_increse_pct"}}},
		{name: "config-wrong-type", edit: map[string][2]string{"promptgate.yaml": {"max_cost_increase_pct: 20", "max_cost_increase_pct: lots"}}},
		{name: "config-unknown-section", edit: map[string][2]string{"promptgate.yaml": {"budget:", "bugdet:"}}},
		{name: "picoschema-type-typo", edit: map[string][2]string{"prompts/classify.prompt": {"review: string", "review: strng"}}},
		{name: "handlebars-lexer", edit: map[string][2]string{"prompts/classify.prompt": {"{{review}}", "{{review}"}}},
		{name: "handlebars-unclosed-block", edit: map[string][2]string{"prompts/classify.prompt": {"{{/if}}", ""}}},
		{name: "template-var-not-in-schema", edit: map[string][2]string{"prompts/classify.prompt": {"{{review}}", "{{reveiw}}"}}},
		{name: "suite-var-not-in-schema", edit: map[string][2]string{"evals/classify.yaml": {"product: kettle", "prodcut: kettle"}}},
		{name: "suite-wrong-path", args: []string{"--suite", "evals/classify-v2.yaml"}},
		{name: "no-key-skips-once", args: []string{"--no-cache"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"promptgate.yaml": teachConfig, "prompts/classify.prompt": teachPrompt, "evals/classify.yaml": teachSuite}
			for name, e := range tt.edit {
				if !strings.Contains(files[name], e[0]) {
					t.Fatalf("%s does not contain %q", name, e[0])
				}
				files[name] = strings.Replace(files[name], e[0], e[1], 1)
			}
			dir := t.TempDir()
			writeFiles(t, dir, files)
			args := append([]string{"eval", "-C", dir, "--quiet", "--cache-dir", t.TempDir()}, tt.args...)
			if len(tt.args) == 0 {
				args = append(args, "--offline")
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			out := fmt.Sprintf("exit %d\n%s", code, stderr.String())
			if tt.name == "no-key-skips-once" {
				// The table itself is covered elsewhere; here only the lines after it.
				_, after, _ := strings.Cut(stdout.String(), "┘\n")
				out += "--- stdout after the table\n" + durationRE.ReplaceAllString(after, "cache hits, DURATION")
			}
			golden.Assert(t, "errors/"+tt.name+".txt", []byte(out))
		})
	}
}

// TestCheckSaysUncommitted: `check --base main` right after editing a prompt
// compares commits only, and says which uncommitted files it left out.
func TestCheckSaysUncommitted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{"promptgate.yaml": teachConfig, "prompts/classify.prompt": teachPrompt, "evals/classify.yaml": teachSuite, "notes.txt": "x\n"})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	writeFiles(t, dir, map[string]string{
		"prompts/classify.prompt": strings.Replace(teachPrompt, "Classify", "Label", 1),
		"evals/extra.yaml":        teachSuite,
		"notes.txt":               "not a promptgate file\n",
	})
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", "HEAD", "--offline"}, func(string) string { return "" }, &stdout, &stderr)
	golden.Assert(t, "errors/check-uncommitted.txt", fmt.Appendf(nil, "exit %d\n%s", code, stderr.String()))
}
