package cli

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// graderConfig is a promptfoo config whose llm-rubric assertions are graded
// by a grader with its own endpoint and key: defaultTest's options.provider,
// and one assertion's own provider (another model, same endpoint).
const graderConfig = `prompts: ['Answer briefly: {{q}}']
providers: [openai:chat:gpt-4.1-mini]
defaultTest:
  options:
    provider:
      id: openai:chat:gpt-4.1-mini
      config:
        apiBaseUrl: JUDGE_URL
        apiKeyEnvar: JUDGE_KEY
tests:
  - description: hello
    vars: {q: hello}
    assert:
      - type: llm-rubric
        value: is friendly
  - description: bye
    vars: {q: bye}
    assert:
      - type: llm-rubric
        value: says goodbye
        provider:
          id: openai:chat:gpt-4.1-nano
          config: {apiBaseUrl: JUDGE_URL, apiKeyEnvar: JUDGE_KEY}
`

// judgeFake answers every request with a passing llm-rubric verdict and
// records the models it was asked for; every request must carry key as a
// bearer token (no Authorization header when key is "").
func judgeFake(t *testing.T, key string) (*llmfake.API, func() []string) {
	var mu sync.Mutex
	var models []string
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	api := llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: auth, Keep: true,
		Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
			mu.Lock()
			models = append(models, req.Model)
			mu.Unlock()
			if !strings.Contains(req.Text(), "<Rubric>") {
				t.Errorf("the judge endpoint got a non-judge request: %q", req.Text())
			}
			llmfake.WriteCompletion(w, llmfake.Completion{ID: "j", Model: req.Model, Content: `{"reason":"fine","pass":true,"score":1}`, In: 50, Out: 9})
		}})
	return api, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), models...)
	}
}

// modelFake answers the prompt and fails the test on any judge request.
func modelFake(t *testing.T, key string) *llmfake.API {
	return llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer " + key,
		Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
			if strings.Contains(req.Text(), "<Rubric>") {
				t.Errorf("a judge call reached the model endpoint (model %s)", req.Model)
			}
			writeAnswer(w, req, "Hello there, goodbye!")
		}})
}

// TestEvalPromptfooGraderEndpoint: the grader's apiBaseUrl receives the
// judge calls, with the key apiKeyEnvar names; the model's endpoint gets
// only the prompts, with its own key.
func TestEvalPromptfooGraderEndpoint(t *testing.T) {
	t.Parallel()
	model := modelFake(t, "model-key")
	judge, judged := judgeFake(t, "judge-key")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": strings.ReplaceAll(graderConfig, "JUDGE_URL", judge.BaseURL())})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "model-key", "JUDGE_KEY": "judge-key"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if n := model.Requests(); n != 2 {
		t.Errorf("model endpoint: %d requests, want 2 (one per test)", n)
	}
	got := judged()
	if len(got) != 2 || !containsAll(got, "gpt-4.1-mini", "gpt-4.1-nano") {
		t.Errorf("judge endpoint got models %q, want gpt-4.1-mini (defaultTest's grader) and gpt-4.1-nano (the assertion's)", got)
	}
}

// TestEvalPromptfooGraderKeyUnset: with the grader's key variable unset
// the judge calls still go to the grader's endpoint, with no Authorization
// header (as to any keyless local server), never to the model's endpoint
// and never with the model's key.
func TestEvalPromptfooGraderKeyUnset(t *testing.T) {
	t.Parallel()
	model := modelFake(t, "model-key")
	judge, judged := judgeFake(t, "")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": strings.ReplaceAll(graderConfig, "JUDGE_URL", judge.BaseURL())})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "model-key"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if n, m := len(judged()), model.Requests(); n != 2 || m != 2 {
		t.Errorf("judge endpoint %d requests, model endpoint %d; want 2 and 2", n, m)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

// TestCheckPromptfooGraderReadAtBase: a pull request that points the
// grader at another endpoint does not get its judge calls sent there: the
// check grades with base's grader endpoint and lists the new one under
// Config changes.
func TestCheckPromptfooGraderReadAtBase(t *testing.T) {
	t.Parallel()
	model := modelFake(t, "model-key")
	judge, judged := judgeFake(t, "judge-key")
	other, redirected := judgeFake(t, "judge-key")
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": strings.ReplaceAll(graderConfig, "JUDGE_URL", judge.BaseURL())})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base := git(t, dir, "rev-parse", "HEAD")
	head := strings.ReplaceAll(graderConfig, "JUDGE_URL", other.BaseURL())
	writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": strings.Replace(head, "Answer briefly", "Answer kindly", 1)})
	git(t, dir, "commit", "-qam", "head")
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "model-key", "JUDGE_KEY": "judge-key"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if n := len(redirected()); n != 0 {
		t.Errorf("head's grader endpoint got %d judge calls before merge", n)
	}
	// Both sides' answers are the same, so head's judge calls, made to the
	// same (base's) endpoint, are answered from the response cache.
	if n := len(judged()); n != 2 {
		t.Errorf("base's grader endpoint got %d judge calls, want 2 (2 cases; head's from the cache)\n%s", n, stdout.String())
	}
	if !strings.Contains(stdout.String(), "providers.promptfoo-judge-gpt-4-1-mini.base_url") {
		t.Errorf("Config changes do not list the grader's new endpoint:\n%s", stdout.String())
	}
}
