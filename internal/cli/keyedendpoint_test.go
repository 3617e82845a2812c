package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestActionKeyedEndpointWithoutKey is the fork case against OpenRouter or a
// keyed LiteLLM proxy: the endpoint is not OpenAI's, so promptgate cannot know
// in advance that it needs a key; the calls go out and get 401. The check
// names the missing key once, with the provider and the variable, counts no
// model errors, and concludes neutral.
func TestActionKeyedEndpointWithoutKey(t *testing.T) {
	t.Parallel()
	model := llmfake.NewAPI(t, llmfake.APIOptions{Path: "/api/v1/chat/completions", CheckAuth: true, Auth: "",
		Reply: func(w http.ResponseWriter, _ *http.Request, _ llmfake.Call) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(`{"error":{"message":"No auth credentials found","code":401}}`))
		}})
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	cfg := fmt.Sprintf("providers:\n  default:\n    base_url: %s/api/v1\n    api_key_env: ROUTER_KEY\n    concurrency: 1\n    max_retries: 0\n%s", model.URL, scenarioConfig)
	writeFiles(t, dir, map[string]string{"promptgate.yaml": cfg, "evals/classify.yaml": scenarioSuite,
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "anthropic/claude-sonnet-4-5", "Classify the sentiment")})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "anthropic/claude-sonnet-4-5", "Label the sentiment")})
	git(t, dir, "commit", "-qam", "head")
	head := git(t, dir, "rev-parse", "HEAD")

	gh, ghSrv := newFakeGitHub(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	delete(envs, "OPENAI_API_KEY")
	delete(envs, "OPENAI_BASE_URL")
	// action.yml uploads the JSON report as an artifact and says so.
	envs["PROMPTGATE_REPORT_ARTIFACT"] = "promptgate-report"
	envs["GITHUB_SERVER_URL"], envs["GITHUB_RUN_ID"] = "https://github.example", "42"
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (neutral)\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	// No 401 is retried, and once the client (which base and head share) has
	// seen one, calls not yet in flight are not sent: at least the first, at
	// most each case run once (how many were already waiting for the
	// provider's slot depends on scheduling; internal/llm's TestKeyRefused
	// pins the count).
	if got := model.Requests(); got < 1 || got > 8 {
		t.Errorf("%d requests reached the endpoint, want 1 to 8 (each case run at most once)", got)
	}
	raw, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
	// The escaper puts zero-width spaces into URLs so they do not autolink.
	summary := strings.ReplaceAll(string(raw), "\u200b", "")
	want := fmt.Sprintf("model calls (no key): no-api-key: $ROUTER\\_KEY is not set, and %s/api/v1 refuses calls without a key (HTTP 401); 8 case runs skipped, not counted as errors", model.URL)
	if n := strings.Count(summary, "(no key)"); n != 1 || !strings.Contains(summary, want) {
		t.Errorf("summary names the missing key %d times, want once as\n%s\nsummary:\n%s", n, want, summary)
	}
	for _, bad := range []string{"| errors | 4", "model errors"} {
		if strings.Contains(summary, bad) {
			t.Errorf("summary counts the refused calls as model errors (%q):\n%s", bad, summary)
		}
	}
	link := "<sub>[full report: the promptgate-report artifact of this run](https://github.example/Codertocat/Hello-World/actions/runs/42#artifacts)</sub>"
	if !strings.Contains(string(summary), link) || strings.Contains(string(summary), envs["RUNNER_TEMP"]) {
		t.Errorf("summary does not link the report artifact, or names a runner path:\n%s", summary)
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if run := gh.checkRuns[101]; run["conclusion"] != "neutral" {
		t.Errorf("check run concluded %v, want neutral", run["conclusion"])
	}
	outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
	if !strings.Contains(string(outputs), "neutral") {
		t.Errorf("outputs lack conclusion neutral:\n%s", outputs)
	}
}
