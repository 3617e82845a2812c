package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// crossRefRepo commits a base with prompt triage/reply priced by traffic and
// candidates, then head's files on top; it returns the repo and base.
func crossRefRepo(t *testing.T, modelURL string, head map[string]string) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	config := "providers:\n  default:\n    base_url: %s/v1\n    max_retries: 0\ntraffic:\n  triage/reply: {requests_per_day: 1000}\ncandidates: [gpt-4.1-nano]\n"
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":             fmt.Sprintf(config, modelURL),
		"prompts/triage/reply.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/reply.yaml":            "prompt: triage/reply\ntests:\n  - vars: {text: a good day}\n    assert: [{type: icontains, value: positive}]\n",
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, head)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "head")
	return dir, base
}

// TestCheckCrossRefsReadAtBase: in check, the names the rules give are read
// as the rules are. A head that writes a traffic key naming no prompt does
// not fail the check (head's rules are not applied): the entry is listed
// under Config changes with the closest name. A head that renames the prompt
// base's traffic prices leaves base's rule, in force, matching nothing: a
// warning says so.
func TestCheckCrossRefsReadAtBase(t *testing.T) {
	t.Parallel()
	model, _ := fakeModel(t)
	env := map[string]string{"OPENAI_API_KEY": "k"}
	run := func(dir, base string, extra ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), append([]string{"check", "-C", dir, "--base", base}, extra...), func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	config := "providers:\n  default:\n    base_url: " + model.URL + "/v1\n    max_retries: 0\ntraffic:\n  %s: {requests_per_day: 1000}\ncandidates: [gpt-4.1-nano]\n"

	dir, base := crossRefRepo(t, model.URL, map[string]string{
		"promptgate.yaml":             fmt.Sprintf(config, "triage/replies"),
		"prompts/triage/reply.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Label the sentiment"),
	})
	code, stdout, stderr := run(dir, base, "--no-candidates")
	if code == ExitBadInput {
		t.Fatalf("head's dangling traffic key refused the check (exit 2)\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	want := "`traffic.triage/replies` (promptgate.yaml:6): not set → `triage/replies`; matches nothing at head, not applied: " +
		`no prompt, prompt variant or flag is named "triage/replies", so this traffic is projected nowhere (did you mean "triage/reply"?)`
	if !strings.Contains(stdout, want) {
		t.Errorf("Config changes lack\n%s\nstdout:\n%s", want, stdout)
	}
	if strings.Contains(stderr, "in force for this check") {
		t.Errorf("base's traffic still prices triage/reply, yet a warning says otherwise:\n%s", stderr)
	}

	dir, base = crossRefRepo(t, model.URL, map[string]string{
		"prompts/triage/reply.prompt":  "",
		"prompts/triage/answer.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/reply.yaml":             "prompt: triage/answer\ntests:\n  - vars: {text: a good day}\n    assert: [{type: icontains, value: positive}]\n",
	})
	git(t, dir, "rm", "-q", "prompts/triage/reply.prompt")
	git(t, dir, "commit", "-qm", "rename")
	code, stdout, stderr = run(dir, base, "--no-candidates")
	if code == ExitBadInput {
		t.Fatalf("exit 2\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
	}
	wantWarn := `warning: promptgate.yaml:6 (the base commit's rules, in force for this check): traffic.triage/reply: no prompt, prompt variant or flag is named "triage/reply", so this traffic is projected nowhere; this change leaves it matching nothing`
	if !strings.Contains(stderr, wantWarn) {
		t.Errorf("stderr lacks\n%s\nstderr:\n%s", wantWarn, stderr)
	}
	if !strings.Contains(stdout, "`traffic.triage/reply` (promptgate.yaml:6): `triage/reply` → `triage/reply`; matches nothing at head") {
		t.Errorf("Config changes do not list head's traffic key that now matches nothing:\n%s", stdout)
	}
}

// TestCheckNoCandidates: --no-candidates runs no what-if, whatever base's
// candidates list; without it the candidate model is called.
func TestCheckNoCandidates(t *testing.T) {
	t.Parallel()
	for _, off := range []bool{true, false} {
		model, _ := fakeModel(t)
		dir, base := crossRefRepo(t, model.URL, map[string]string{
			"prompts/triage/reply.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Label the sentiment"),
		})
		args := []string{"check", "-C", dir, "--base", base}
		if off {
			args = append(args, "--no-candidates")
		}
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), args, func(k string) string { return map[string]string{"OPENAI_API_KEY": "k"}[k] }, &stdout, &stderr)
		if code == ExitBadInput {
			t.Fatalf("exit 2\n%s", stderr.String())
		}
		nano := model.Calls()["gpt-4.1-nano"]
		if off && nano != 0 {
			t.Errorf("--no-candidates: the candidate got %d calls", nano)
		}
		if !off && nano == 0 {
			t.Errorf("without --no-candidates the candidate got no call:\n%s", stdout.String())
		}
	}
}
