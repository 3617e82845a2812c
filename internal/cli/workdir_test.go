package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalRefusesSymlinksOutOfRepo: eval reads the working tree, and a
// prompt or promptfoo file:// var that is a symlink to a file outside the
// repository is refused before any model call (check never sees symlinks:
// it reads commits). A relative symlink that stays inside the repository
// works.
func TestEvalRefusesSymlinksOutOfRepo(t *testing.T) {
	t.Parallel()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{
		"secret.txt":  "SECRET",
		"leak.prompt": "---\nmodel: gpt-4o-mini\n---\nSay {{x}}\n",
	})
	tests := []struct {
		name     string
		files    map[string]string
		links    map[string]string // repo path -> target (in outside, or "rel:" a relative link)
		args     []string
		wantExit int
		wantErr  string
	}{
		{"symlinked prompt", map[string]string{"evals/greet.yaml": "prompt: greet\ntests:\n  - vars: {x: hi}\n"},
			map[string]string{"prompts/greet.prompt": "leak.prompt"}, nil, ExitBadInput, "prompts/greet.prompt: path escapes from parent"},
		{"symlinked promptfoo var", map[string]string{"pf.yaml": "prompts: ['Say {{x}}']\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n  - vars: {x: file://data/secret.txt}\n"},
			map[string]string{"data/secret.txt": "secret.txt"}, []string{"--promptfoo", "pf.yaml"}, ExitBadInput, "pf.yaml:4: var file://data/secret.txt: statat data/secret.txt: path escapes from parent"},
		{"symlink inside the repository", map[string]string{"pf.yaml": "prompts: ['Say {{x}}']\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n  - vars: {x: file://data/alias.txt}\n", "data/real.txt": "good"},
			map[string]string{"data/alias.txt": "rel:real.txt"}, []string{"--promptfoo", "pf.yaml"}, ExitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			for link, target := range tt.links {
				if rel, ok := strings.CutPrefix(target, "rel:"); ok {
					target = rel
				} else {
					target = filepath.Join(outside, target)
				}
				if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, link)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
					t.Fatal(err)
				}
			}
			model, calls := fakeModel(t)
			env := map[string]string{"OPENAI_BASE_URL": model.URL + "/v1", "OPENAI_API_KEY": "k"}
			var stdout, stderr bytes.Buffer
			args := append([]string{"eval", "-C", dir, "--no-cache", "--quiet"}, tt.args...)
			code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != tt.wantExit || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, want %d with %q\nstderr:\n%s", code, tt.wantExit, tt.wantErr, stderr.String())
			}
			if tt.wantExit != ExitOK && *calls != 0 {
				t.Errorf("%d model calls, want none", *calls)
			}
			if strings.Contains(stdout.String()+stderr.String(), "SECRET") {
				t.Errorf("the outside file's text reached the output")
			}
		})
	}
}

// TestEvalPromptfooFromConfigFolder: run from the config's own folder, a
// promptfoo config's file:// paths may climb to anywhere in the git work
// tree; the repository is the work tree, not the current folder.
func TestEvalPromptfooFromConfigFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"prompts/sentiment.txt": "Is this good or bad? {{text}}\n",
		"config/promptfoo/evaluations/04_prompt_evaluation.yaml": "prompts: [file://../../../prompts/sentiment.txt]\n" +
			"providers: [openai:chat:gpt-4o-mini]\ntests:\n  - vars: {text: A good day}\n    assert: [{type: equals, value: positive}]\n",
	})
	model, calls := fakeModel(t)
	vars := map[string]string{"OPENAI_BASE_URL": model.URL + "/v1", "OPENAI_API_KEY": "k"}
	var stdout, stderr bytes.Buffer
	env := Env{Getenv: func(k string) string { return vars[k] }, Stdout: &stdout, Stderr: &stderr,
		Dir: filepath.Join(dir, "config", "promptfoo", "evaluations")}
	err := runEval(context.Background(), []string{"--promptfoo", "04_prompt_evaluation.yaml", "--no-cache", "--quiet", "--format", "json"}, env)
	if code := exitCode(err, &stderr); code != ExitOK {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", code, stderr.String())
	}
	if *calls != 1 || !strings.Contains(stdout.String(), `"prompt": "sentiment"`) {
		t.Errorf("%d calls, want 1; report:\n%s", *calls, stdout.String())
	}
}
