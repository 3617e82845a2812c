package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// cellSpace is the padding tablewriter puts around markdown cells.
var cellSpace = regexp.MustCompile(` *\| *`)

// answeringModel is a chat-completions fake whose answer depends on the
// requested model and the last message; it counts calls per model.
func answeringModel(t *testing.T, answer func(model, text string) string) (*llmfake.API, func() map[string]int) {
	m := llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
		writeAnswer(w, req, answer(req.Model, req.Last()))
	}})
	return m, m.Calls
}

// candidateModel answers like fakeModel's base prompt, except that
// gpt-4.1-nano calls everything positive. It counts calls per model.
func candidateModel(t *testing.T) (*llmfake.API, func() map[string]int) {
	return answeringModel(t, func(model, text string) string {
		if strings.Contains(text, "good") || model == "gpt-4.1-nano" {
			return "positive"
		}
		return "negative"
	})
}

// TestEvalCandidates: `candidates:` in promptgate.yaml (and --candidates) run
// the suites on each model. gpt-4o-mini keeps every passing case and is
// cheaper than gpt-4.1-mini, so it is recommended with its monthly saving;
// gpt-4.1-nano loses the negative cases and is not. The outcome stays the
// head model's.
func TestEvalCandidates(t *testing.T) {
	t.Parallel()
	model, calls := candidateModel(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":         "traffic:\n  classify: {requests_per_day: 10000}\ncandidates: [gpt-4o-mini]\ncandidates_margin: 60\n",
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
	})
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), append([]string{"eval", "-C", dir, "--quiet", "--cache-dir", t.TempDir()}, args...),
			func(k string) string { return env[k] }, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	code, out, errOut := run("--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var rep eval.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Candidates) != 1 || rep.Candidates[0].Model != "gpt-4o-mini" || !rep.Candidates[0].Recommended ||
		rep.Candidates[0].SavingUSD == nil || *rep.Candidates[0].SavingUSD <= 0 {
		t.Fatalf("candidates from config: %+v", rep.Candidates)
	}
	if got := calls(); got["gpt-4.1-mini"] != 4 || got["gpt-4o-mini"] != 4 {
		t.Errorf("calls per model %v, want 4 each", got)
	}

	// --candidates replaces the config's list; the failing candidate never
	// changes the exit status.
	code, out, errOut = run("--format", "markdown", "--candidates", "gpt-4.1-nano,gpt-4o-mini")
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	for _, want := range []string{
		"### Cheaper models",
		"|classify|gpt-4.1-nano (head: gpt-4.1-mini)|2/4 (50%)|100%|-50.0 (-98.7 to +32.0)|2|0|",
		"|classify|gpt-4o-mini (head: gpt-4.1-mini)|4/4 (100%)|100%|+0.0 (-50.6 to +50.6)|0|0|",
		"Recommended: `classify` on `gpt-4o-mini` loses at most 60 points",
		`lost evals/classify.yaml:10 "plainly bad"`,
	} {
		if !strings.Contains(cellSpace.ReplaceAllString(out, "|"), want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Recommended: `classify` on `gpt-4.1-nano`") {
		t.Errorf("a candidate that loses cases was recommended:\n%s", out)
	}
	if got := calls(); got["gpt-4.1-nano"] != 4 {
		t.Errorf("calls per model %v", got)
	}
}

// TestEvalCostByOwner: owners come from metadata.owner, else CODEOWNERS (the
// .github/ file, last match wins); projected cost rolls up per owner, and a
// per-owner daily budget raises its alert.
func TestEvalCostByOwner(t *testing.T) {
	t.Parallel()
	model, _ := candidateModel(t)
	dir := t.TempDir()
	owned := strings.Replace(fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"), "---\nmodel:", "---\nmetadata:\n  owner: \"@acme/search\"\nmodel:", 1)
	writeFiles(t, dir, map[string]string{
		".github/CODEOWNERS": "* @acme/platform\nprompts/support/ @acme/support @bob\n",
		"CODEOWNERS":         "* @not-used\n",
		"promptgate.yaml": "traffic:\n  support/classify: {requests_per_day: 100000}\n  search: {requests_per_day: 1000}\n" +
			"budget:\n  owners:\n    \"@acme/support\": {daily_usd: 5}\n    \"@acme/search\": {monthly_usd: 1000}\n",
		"prompts/support/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"prompts/search.prompt":           owned,
		"prompts/other.prompt":            fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/support.yaml":              strings.Replace(scenarioSuite, "prompt: classify", "prompt: support/classify", 1),
		"evals/search.yaml":               strings.Replace(scenarioSuite, "prompt: classify", "prompt: search", 1),
		"evals/other.yaml":                strings.Replace(scenarioSuite, "prompt: classify", "prompt: other", 1),
	})
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--format", "markdown", "--cache-dir", t.TempDir()},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	out := cellSpace.ReplaceAllString(stdout.String(), "|")
	// support/classify: 100,000 requests a day at $0.000088 each ≈ $267.7 a
	// month, past a $5/day ($152/month) budget.
	for _, want := range []string{
		"### Cost by owner",
		"|@\u200bacme/platform|other|$0 (+1 without traffic or price)|—|—|",
		"|@\u200bacme/search|search|$2.68|$1000/month|0.3%|",
		"|@\u200bacme/support|support/classify|$268|$5.00/day|176% ⚠ past 100%|",
		"Budget: `@acme/support` is projected at $268 a month, over its budget of $5.00/day ($152 a month).",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout.String())
		}
	}
}
