package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// fakeModelRepo makes a git repo whose promptgate.yaml (extra appended) sends
// every call to the chat fake, with nPrompts prompts of nCases cases each at
// base, and a head that rewords them all; headFiles are added at head.
func fakeModelRepo(t testing.TB, modelURL, extra string, nPrompts, nCases int, headFiles map[string]string) (dir, base, head string) {
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	files := map[string]string{"promptgate.yaml": fmt.Sprintf("providers:\n  default:\n    base_url: %s/v1\n    max_retries: 0\n%s", modelURL, extra)}
	for p := range nPrompts {
		files[fmt.Sprintf("prompts/p%03d.prompt", p)] = fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment")
		files[fmt.Sprintf("evals/p%03d.yaml", p)] = echoSuite(fmt.Sprintf("p%03d", p), nCases, 1)
	}
	writeFiles(t, dir, files)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	changed := map[string]string{}
	for p := range nPrompts {
		changed[fmt.Sprintf("prompts/p%03d.prompt", p)] = fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the overall sentiment")
	}
	for k, v := range headFiles {
		changed[k] = v
	}
	writeFiles(t, dir, changed)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "head")
	head = git(t, dir, "rev-parse", "HEAD")
	return dir, base, head
}

// echoSuite is a suite of nCases cases, each run repeat times, that pass on
// the chat fake's echo.
func echoSuite(prompt string, nCases, repeat int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "prompt: %s\nrepeat: %d\ntests:\n", prompt, repeat)
	for c := range nCases {
		fmt.Fprintf(&b, "  - description: case %d\n    vars: {text: \"%s c%d\"}\n    assert: [{type: icontains, value: echo}]\n", c, prompt, c)
	}
	return b.String()
}

// TestCheckMaxCallsBoundsModelCalls: base sets gate.max_calls: 300 and a
// pull request adds a suite of 2,000 case runs (20 cases, repeat 100). The
// chat fake sees at most 300 requests; the report and the JSON say how many
// case runs were skipped and why, and --fail-on-skip turns the skip into a
// failure.
func TestCheckMaxCallsBoundsModelCalls(t *testing.T) {
	t.Parallel()
	for _, failOnSkip := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail-on-skip=%v", failOnSkip), func(t *testing.T) {
			t.Parallel()
			fake := llmfake.New(llmfake.Options{})
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			// Head also tries to raise the budget: the rule is read at base.
			dir, base, head := fakeModelRepo(t, srv.URL, "gate: {max_calls: 300}\n", 1, 2, map[string]string{
				"prompts/big.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Summarize"),
				"evals/big.yaml":     echoSuite("big", 20, 100),
			})
			writeFiles(t, dir, map[string]string{"promptgate.yaml": fmt.Sprintf("providers:\n  default:\n    base_url: %s/v1\n    max_retries: 0\ngate: {max_calls: 100000}\n", srv.URL)})
			git(t, dir, "commit", "-qam", "raise the budget")
			head = git(t, dir, "rev-parse", "HEAD")

			reportJSON := filepath.Join(t.TempDir(), "report.json")
			args := []string{"check", "-C", dir, "--base", base, "--head", head, "--report-json", reportJSON}
			want := ExitOK
			if failOnSkip {
				args, want = append(args, "--fail-on-skip"), ExitGateFail
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
			if code != want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout.String(), stderr.String())
			}
			if n := fake.Requests.Load(); n > 300 || n < 1 {
				t.Errorf("the chat fake saw %d requests, want 1 to 300 (gate.max_calls at base)", n)
			}
			if p := fake.Problems(); len(p) > 0 {
				t.Errorf("malformed requests: %v", p)
			}
			// base: 2 runs, head: 2 + 2,000 runs; 300 calls were allowed.
			skipped := 2 + 2 + 2000 - int(fake.Requests.Load())
			note := fmt.Sprintf("%d case runs: this check's budget of 300 model calls (gate.max\\_calls, read at base) was spent", skipped)
			if !strings.Contains(stdout.String(), note) {
				t.Errorf("report does not say %q:\n%s", note, stdout.String())
			}
			raw, err := os.ReadFile(reportJSON)
			if err != nil {
				t.Fatal(err)
			}
			var out check.Outcome
			if err := json.Unmarshal(raw, &out); err != nil {
				t.Fatal(err)
			}
			if out.Calls == nil || out.Calls.Max != 300 || out.Calls.Made != int(fake.Requests.Load()) || out.Calls.SkippedRuns != skipped {
				t.Errorf("JSON Calls = %+v, want max 300, made %d, %d skipped runs", out.Calls, fake.Requests.Load(), skipped)
			}
			if out.Result.SkippedRuns < skipped {
				t.Errorf("JSON SkippedRuns = %d, want at least %d", out.Result.SkippedRuns, skipped)
			}
		})
	}
}
