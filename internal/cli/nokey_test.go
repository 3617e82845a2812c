package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestActionForkWithoutKeyFallsBack: a fork PR has no API key and a read-only
// token. The check still validates and reports, says plainly what was skipped and
// why (a fork: no model calls at all), falls back from the check run (403) to the
// job summary and workflow commands, and concludes neutral because nothing could
// be graded.
func TestActionForkWithoutKeyFallsBack(t *testing.T) {
	t.Parallel()
	dir, base, head := scenarioRepo(t)
	gh, ghSrv := newFakeGitHub(t)
	gh.forbid = true
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	envs["GITHUB_EVENT_PATH"] = recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
		pr := ev["pull_request"].(map[string]any)
		pr["base"].(map[string]any)["sha"] = base
		pr["head"].(map[string]any)["sha"] = head
		pr["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = "forker/Hello-World"
	})
	delete(envs, "OPENAI_API_KEY")
	delete(envs, "OPENAI_BASE_URL") // OpenAI's public API, which needs a key
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (neutral)\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if *calls != 0 {
		t.Errorf("%d model calls without a key", *calls)
	}
	gh.mu.Lock()
	created := gh.creates
	gh.mu.Unlock()
	if created != 0 {
		t.Errorf("%d check runs created with a read-only token", created)
	}
	if !strings.Contains(stdout.String(), "::warning::promptgate cannot create check runs") {
		t.Errorf("no workflow-command warning about the 403 fallback:\n%s", stdout.String())
	}
	summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
	for _, want := range []string{"comes from the fork forker/Hello-World", "no model calls for fork pull requests, whatever the provider", "skipped (see Skipped)", "unknown cost not included", "est. / —"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("job summary lacks %q:\n%s", want, summary)
		}
	}
	outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
	if !strings.Contains(string(outputs), "neutral") {
		t.Errorf("outputs lack conclusion neutral:\n%s", outputs)
	}
}

// TestCheckLocalNoLLMChanges: a change that touches nothing LLM-related is a quick
// "no LLM changes" with exit 0 and no model calls.
func TestCheckLocalNoLLMChanges(t *testing.T) {
	t.Parallel()
	dir, _, head := scenarioRepo(t)
	writeFiles(t, dir, map[string]string{"README.md": "docs only\n"})
	git(t, dir, "commit", "-qam", "docs")
	model, calls := fakeModel(t)
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", head}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK || !strings.Contains(stdout.String(), "no LLM changes") || *calls != 0 {
		t.Fatalf("exit %d, calls %d\n%s\n%s", code, *calls, stdout.String(), stderr.String())
	}
}
