package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/action/ghevent"
	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// The tests in this file are the end-to-end proof of SPEC "Trust: a pull
// request never writes its own verdict": each one plays an attacker's pull
// request against the Action, through Main, with every model endpoint and
// GitHub faked and counted.

// switchModel is a fake chat-completions endpoint that answers as fakeModel
// does (the head wording "Label the sentiment" gets two cases wrong), or, once
// perfect is set, answers every case right: what a pull request would like its
// planted cache entries to say.
type switchModel struct {
	*llmfake.API
	perfect atomic.Bool
}

func newSwitchModel(t testing.TB) *switchModel {
	m := &switchModel{}
	m.API = llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
		text := req.Last()
		answer := "negative"
		if strings.Contains(text, "good") {
			answer = "positive"
		}
		if !m.perfect.Load() && strings.Contains(text, "Label the sentiment") && (strings.Contains(text, "lovely") || strings.Contains(text, "awful")) {
			answer = "neutral"
		}
		writeAnswer(w, req, answer)
	}})
	return m
}

// prServer is an endpoint a pull request "owns": it answers every case right,
// and records every request of any kind. The tests require it to see none.
type prServer struct{ *llmfake.API }

func newPRServer(t testing.TB) *prServer {
	return &prServer{llmfake.NewAPI(t, llmfake.APIOptions{Keep: true, Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
		answer := "negative"
		if strings.Contains(req.Last(), "good") {
			answer = "positive"
		}
		writeAnswer(w, req, answer)
	}})}
}

func (s *prServer) seen() []string { return s.Seen() }

// relaxedConfig is a head promptgate.yaml that switches every gate off, lifts
// the budget, prices the dearer model at zero, and points the default
// provider, plus a new one, at the pull request's own server.
func relaxedConfig(prURL string) string {
	return fmt.Sprintf(`providers:
  default:
    base_url: %[1]s/v1
    api_key_env: PR_KEY
  mine:
    base_url: %[1]s/v1
pricing:
  gpt-4.1: {input: 0, output: 0}
traffic:
  classify: {requests_per_day: 1}
budget: {monthly_usd: 1000000}
gate:
  fail_on_regression: false
  fail_on_threshold: false
  fail_on_budget: false
  max_pass_rate_drop_pct: 100
`, prURL)
}

// attackRepo makes the scenario's base commit and a head commit that regresses
// two cases with a dearer model and, in the same change, relaxes every rule:
// relaxedConfig, the suite's threshold lowered to 0, and a new prompt (with its
// own suite) served by the new provider.
func attackRepo(t testing.TB, prURL string) (dir, base, head string) {
	dir, base, _ = scenarioRepo(t)
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":      relaxedConfig(prURL),
		"evals/classify.yaml":  strings.Replace(scenarioSuite, "threshold: 0.75", "threshold: 0", 1),
		"prompts/extra.prompt": fmt.Sprintf(scenarioPrompt, "mine/llama3.1", "Classify the sentiment"),
		"evals/extra.yaml": `prompt: extra
threshold: 0
tests:
  - description: new case on the new provider
    vars: {text: "a good day"}
    assert: [{type: icontains, value: positive}]
`,
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "head: relax every rule too")
	return dir, base, git(t, dir, "rev-parse", "HEAD")
}

// runActionStep runs `promptgate check` as the Action's step with envs.
func runActionStep(t testing.TB, envs map[string]string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &out, &errb)
	return code, out.String(), errb.String()
}

// TestActionSameRepoPRCannotRelaxItsRules: a same-repo pull request that
// regresses two cases and, in the same change, switches every gate off, lifts
// the budget, zeroes the price, lowers the suite threshold to 0 and points the
// providers at its own server still concludes failure. Its rule edits are
// listed under "Config changes", its server is never called, and the cases on
// its new provider are skipped.
func TestActionSameRepoPRCannotRelaxItsRules(t *testing.T) {
	t.Parallel()
	pr := newPRServer(t)
	dir, base, head := attackRepo(t, pr.URL)
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	code, stdout, stderr := runActionStep(t, envs)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d (a gate failed)\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout, stderr)
	}
	if got := pr.seen(); len(got) != 0 {
		t.Errorf("the pull request's own server got %d requests, want 0: %v", len(got), got)
	}
	gh.mu.Lock()
	run := assertOneFailedCheckRun(t, gh, head, *calls)
	gh.mu.Unlock()
	summary := run["output"].(map[string]any)["summary"].(string)
	for _, want := range []string{
		"❌ `regression`", "❌ `threshold`", "❌ `budget`",
		"**Config changes** — take effect after merge",
		"`gate.fail_on_regression` (promptgate.yaml:",
		"`threshold` (evals/classify.yaml:2): `0.75` → `0`; judged at base's 0.75",
		"`providers.mine.base_url`", "not called before merge",
		"1 case runs: provider mine is added by this change and is not called before it is merged (see Config changes)",
	} {
		if !strings.Contains(summary, want) {
			t.Errorf("check-run summary lacks %q:\n%s", want, summary)
		}
	}
	// The server's URL is the change's own text: shown only in code spans,
	// where GitHub renders no link.
	if n, spans := strings.Count(summary, pr.URL), strings.Count(summary, "`"+pr.URL+"/v1`"); n != spans {
		t.Errorf("summary shows the pull request's server %s outside a code span (%d times, %d in spans)", pr.URL, n, spans)
	}
	_, section, _ := strings.Cut(summary, "**Config changes**")
	section, _, _ = strings.Cut(section, "\n\n")
	if live := mdcheck.Live(section); len(live) > 0 {
		t.Errorf("the Config changes section has live markdown %v:\n%s", live, section)
	}
	var rep struct {
		Result struct {
			ConfigChanges []struct{ Key, File, Base, Head string }
			Conclusion    string
		}
	}
	b, err := os.ReadFile(filepath.Join(envs["RUNNER_TEMP"], "promptgate-report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, c := range rep.Result.ConfigChanges {
		keys[c.Key] = true
	}
	for _, want := range []string{"threshold", "gate.fail_on_regression", "gate.fail_on_threshold", "gate.fail_on_budget",
		"budget.monthly_usd", "pricing.gpt-4.1", "traffic.classify", "providers.default.base_url", "providers.mine.base_url"} {
		if !keys[want] {
			t.Errorf("JSON report's ConfigChanges lack %s; have %v", want, keys)
		}
	}
	if rep.Result.Conclusion != "failure" {
		t.Errorf("JSON report conclusion %q, want failure", rep.Result.Conclusion)
	}
}

// forkEvent is the recorded pull_request payload for base..head, opened from
// the fork forker/Hello-World.
func forkEvent(t testing.TB, base, head string) string {
	return recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
		pr := ev["pull_request"].(map[string]any)
		pr["base"].(map[string]any)["sha"] = base
		pr["head"].(map[string]any)["sha"] = head
		pr["head"].(map[string]any)["repo"].(map[string]any)["full_name"] = "forker/Hello-World"
	})
}

// TestActionForkMakesNoModelRequests: a fork pull request whose config points
// every provider at a server it owns, run where a model key is set, makes no
// request to any model endpoint: not to that server, not to the configured
// one. The only requests anywhere are the publisher's to GitHub (here refused,
// as a fork's read-only token is). The report says what was skipped and why.
func TestActionForkMakesNoModelRequests(t *testing.T) {
	t.Parallel()
	pr := newPRServer(t)
	dir, base, head := attackRepo(t, pr.URL)
	gh, ghSrv := newFakeGitHub(t)
	gh.forbid = true
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	envs["GITHUB_EVENT_PATH"] = forkEvent(t, base, head)
	envs["PR_KEY"] = "pr-key"
	code, stdout, stderr := runActionStep(t, envs)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0 (neutral: nothing could be graded)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if *calls != 0 {
		t.Errorf("the configured model endpoint got %d requests on a fork PR, want 0", *calls)
	}
	if got := pr.seen(); len(got) != 0 {
		t.Errorf("the fork's own server got %d requests, want 0: %v", len(got), got)
	}
	gh.mu.Lock()
	if gh.creates != 0 || gh.updates != 0 || gh.comments != 0 {
		t.Errorf("GitHub writes: %d check runs, %d updates, %d comments; want none with a read-only token", gh.creates, gh.updates, gh.comments)
	}
	gh.mu.Unlock()
	summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
	for _, want := range []string{"comes from the fork forker/Hello-World", "no model calls for fork pull requests, whatever the provider",
		"**Config changes**", "skipped (see Skipped)"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("job summary lacks %q:\n%s", want, summary)
		}
	}
	outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
	if !strings.Contains(string(outputs), "neutral") {
		t.Errorf("outputs lack conclusion neutral:\n%s", outputs)
	}
}

// TestActionIgnoresCacheEntriesThePRPlants: the base commit carries recorded
// answers for its prompt; the pull request regresses the prompt and commits
// recorded answers that make every head case pass, and also edits one of
// base's answers. The planted and edited entries are ignored and counted: base
// is answered from the base commit's own entries (no model call), head is
// really evaluated (4 calls), and the regression fails the check.
func TestActionIgnoresCacheEntriesThePRPlants(t *testing.T) {
	t.Parallel()
	model := newSwitchModel(t)
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":         scenarioConfig,
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
	})
	cacheDir := filepath.Join(dir, ".promptgate", "cache")
	record := func() {
		t.Helper()
		env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
		var out, errb bytes.Buffer
		if code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--cache-dir", cacheDir},
			func(k string) string { return env[k] }, &out, &errb); code == ExitBadInput {
			t.Fatalf("record: exit %d\n%s\n%s", code, out.String(), errb.String())
		}
	}
	record() // base's answers, from the real (fake) model
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base with recorded answers")
	base := git(t, dir, "rev-parse", "HEAD")
	baseEntries := cacheFiles(t, cacheDir)
	if len(baseEntries) != 4 {
		t.Fatalf("base recorded %d entries, want 4", len(baseEntries))
	}

	writeFiles(t, dir, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1", "Label the sentiment")})
	model.perfect.Store(true)
	record() // the planted answers: every head case right
	model.perfect.Store(false)
	edited := baseEntries[0]
	b, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	var e map[string]any
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatal(err)
	}
	e["response"].(map[string]any)["content"] = "neutral" // still hashes to its key
	b, _ = json.MarshalIndent(e, "", "  ")
	if err := os.WriteFile(edited, b, 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "head: new wording, and recorded answers that pass")
	head := git(t, dir, "rev-parse", "HEAD")
	if n := len(cacheFiles(t, cacheDir)); n != 8 {
		t.Fatalf("head has %d entries, want 8 (4 planted)", n)
	}
	calledWhileRecording := model.Requests()

	gh, ghSrv := newFakeGitHub(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	delete(envs, "INPUT_CACHE-DIR") // the default: outside the checkout
	code, stdout, stderr := runActionStep(t, envs)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d: the planted answers must not pass the check\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout, stderr)
	}
	if got, want := model.Requests()-calledWhileRecording, int64(4+confirmCalls(2)); got != want {
		t.Errorf("check made %d model calls, want %d (head only, base from the base commit's entries; then the 2 flipped cases confirmed)", got, want)
	}
	summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
	for _, want := range []string{"5 recorded responses that this change adds or edits in the response cache: ignored", "lovely but subtle", "awful service"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("job summary lacks %q:\n%s", want, summary)
		}
	}
	var rep struct {
		Result struct{ IgnoredCacheEntries int }
	}
	b, _ = os.ReadFile(filepath.Join(envs["RUNNER_TEMP"], "promptgate-report.json"))
	if err := json.Unmarshal(b, &rep); err != nil || rep.Result.IgnoredCacheEntries != 5 {
		t.Errorf("JSON report IgnoredCacheEntries = %d (%v), want 5", rep.Result.IgnoredCacheEntries, err)
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if run := gh.checkRuns[101]; run["conclusion"] != "failure" {
		t.Errorf("check run concluded %v, want failure", run["conclusion"])
	}
}

// cacheFiles lists the entry files below a cache directory, sorted.
func cacheFiles(t testing.TB, dir string) []string {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestActionForkWithCommentFallsBack: a fork PR with `comment: true` gets a
// read-only token, so creating the check run is refused (403, or 404 where the
// token cannot see the repository) and so is the sticky comment. Both fall
// back to the job summary and workflow-command warnings; the outputs are still
// written and the step does not fail with exit 2.
func TestActionForkWithCommentFallsBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                        string
		createStatus, commentStatus int
	}{
		{"check run 403, comment 403", http.StatusForbidden, http.StatusForbidden},
		{"check run 404, comment 404", http.StatusNotFound, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, base, head := scenarioRepo(t)
			gh, ghSrv := newFakeGitHub(t)
			gh.createStatus, gh.commentStatus = tt.createStatus, tt.commentStatus
			model, calls := fakeModel(t)
			envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
			envs["GITHUB_EVENT_PATH"] = forkEvent(t, base, head)
			envs["INPUT_COMMENT"] = "true"
			code, stdout, stderr := runActionStep(t, envs)
			if code != ExitOK {
				t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			if *calls != 0 {
				t.Errorf("%d model calls on a fork PR", *calls)
			}
			for _, want := range []string{"::warning::promptgate cannot create check runs", "::warning::promptgate could not post its sticky comment"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			gh.mu.Lock()
			if gh.comments == 0 {
				t.Error("the sticky comment was never tried")
			}
			gh.mu.Unlock()
			outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
			for _, want := range []string{"conclusion", "neutral", "report-json"} {
				if !strings.Contains(string(outputs), want) {
					t.Errorf("outputs lack %q:\n%s", want, outputs)
				}
			}
			if s, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"]); !strings.Contains(string(s), "comes from the fork") {
				t.Errorf("job summary not written:\n%s", s)
			}
		})
	}
}

// TestActionFailOnSkip: a fork PR evaluates nothing, which is neutral (exit
// 0); with the fail-on-skip input it is a failure (exit 1), and says why.
func TestActionFailOnSkip(t *testing.T) {
	t.Parallel()
	for _, failOnSkip := range []string{"", "true"} {
		t.Run("fail-on-skip="+failOnSkip, func(t *testing.T) {
			t.Parallel()
			dir, base, head := scenarioRepo(t)
			gh, ghSrv := newFakeGitHub(t)
			gh.forbid = true
			model, _ := fakeModel(t)
			envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
			envs["GITHUB_EVENT_PATH"] = forkEvent(t, base, head)
			envs["INPUT_FAIL-ON-SKIP"] = failOnSkip
			code, stdout, stderr := runActionStep(t, envs)
			want, conclusion := ExitOK, "neutral"
			if failOnSkip == "true" {
				want, conclusion = ExitGateFail, "failure"
			}
			if code != want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
			}
			outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
			if !strings.Contains(string(outputs), conclusion) {
				t.Errorf("outputs lack conclusion %s:\n%s", conclusion, outputs)
			}
			summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
			if failOnSkip == "true" && !strings.Contains(string(summary), "8 case run(s) were skipped") {
				t.Errorf("job summary does not say why it failed:\n%s", summary)
			}
		})
	}
}

// TestCheckFailOnSkipFlag: locally, --offline with nothing recorded skips
// every case; --fail-on-skip makes that exit 1.
func TestCheckFailOnSkipFlag(t *testing.T) {
	t.Parallel()
	dir, base, head := scenarioRepo(t)
	for _, tt := range []struct {
		args []string
		want int
	}{{nil, ExitOK}, {[]string{"--fail-on-skip"}, ExitGateFail}} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"check", "-C", dir, "--base", base, "--head", head, "--offline", "--cache-dir", t.TempDir()}, tt.args...)
		if code := Main(context.Background(), args, func(string) string { return "" }, &stdout, &stderr); code != tt.want {
			t.Errorf("%v: exit %d, want %d\n%s\n%s", tt.args, code, tt.want, stdout.String(), stderr.String())
		}
	}
}

// TestActionRefusesCacheDirInsideCheckout: a cache-dir inside the checkout
// would let actions/cache save answers a pull request commits there, so the
// Action refuses it with exit 2 and says what to use instead.
func TestActionRefusesCacheDirInsideCheckout(t *testing.T) {
	t.Parallel()
	dir, base, head := scenarioRepo(t)
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	envs["INPUT_CACHE-DIR"] = ".promptgate/cache"
	code, stdout, stderr := runActionStep(t, envs)
	if code != ExitBadInput || !strings.Contains(stderr, "is inside the checkout") || !strings.Contains(stderr, "$RUNNER_TEMP/promptgate-cache") {
		t.Fatalf("exit %d, want %d with an explanation\nstdout:\n%s\nstderr:\n%s", code, ExitBadInput, stdout, stderr)
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if *calls != 0 || gh.creates != 0 {
		t.Errorf("model calls %d, check runs %d; want none", *calls, gh.creates)
	}
}

// TestReservedKeyEnvIsAConfigError: api_key_env naming the runner's token or
// anything in its families is a configuration error at its line (exit 2), so a
// config never sends the workflow's token to a model endpoint.
func TestReservedKeyEnvIsAConfigError(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"GITHUB_TOKEN", "INPUT_GITHUB-TOKEN", "ACTIONS_RUNTIME_TOKEN", "RUNNER_TEMP", "github_token"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"promptgate.yaml":         "providers:\n  default:\n    api_key_env: " + name + "\n",
				"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
				"evals/classify.yaml":     scenarioSuite,
			})
			env := map[string]string{"GITHUB_TOKEN": "ghs_secret", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--no-cache"}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, ExitBadInput, stdout.String(), stderr.String())
			}
			if want := "promptgate.yaml:3: providers.default.api_key_env"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
			}
			if strings.Contains(stdout.String()+stderr.String(), "ghs_secret") {
				t.Error("the token's value was printed")
			}
		})
	}
}

// TestSchemaRefOutsideTheDocumentExits2: a json-schema assertion and a
// prompt's input.schema that $ref a real file holding a secret are
// configuration errors (exit 2), and the secret appears nowhere: not on
// stdout, stderr, the job summary or the JSON report.
func TestSchemaRefOutsideTheDocumentExits2(t *testing.T) {
	t.Parallel()
	secretDir := t.TempDir()
	const secret = "TOPSECRET-4c1d9e"
	secretFile := filepath.Join(secretDir, "secret.json")
	if err := os.WriteFile(secretFile, []byte(`{"const": "`+secret+`", "description": "`+secret+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ref := "file://" + filepath.ToSlash(secretFile)
	tests := []struct {
		name, file, content string
	}{
		{"json-schema assertion", "evals/classify.yaml", strings.Replace(scenarioSuite, "assert: [{type: icontains, value: positive}]",
			`assert: [{type: json-schema, value: {"$ref": "`+ref+`"}}]`, 1)},
		{"prompt input.schema", "prompts/classify.prompt", "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    type: object\n    properties:\n      text: {$ref: \"" + ref + "\"}\n---\n{{role \"user\"}}\nClassify the sentiment: {{text}}\n"},
		{"relative ref", "evals/classify.yaml", strings.Replace(scenarioSuite, "assert: [{type: icontains, value: positive}]",
			`assert: [{type: json-schema, value: {"$ref": "../../../../../../../../../`+strings.TrimPrefix(filepath.ToSlash(secretFile), "/")+`"}}]`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, base, _ := scenarioRepo(t)
			writeFiles(t, dir, map[string]string{tt.file: tt.content})
			git(t, dir, "commit", "-qam", "head: schema with an outside $ref")
			head := git(t, dir, "rev-parse", "HEAD")
			model, calls := fakeModel(t)
			env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
			report := filepath.Join(t.TempDir(), "report.json")
			var all strings.Builder
			for _, args := range [][]string{
				{"eval", "-C", dir, "--quiet", "--no-cache", "--format", "json"},
				{"check", "-C", dir, "--base", base, "--head", head, "--cache-dir", t.TempDir(), "--report-json", report},
			} {
				var stdout, stderr bytes.Buffer
				code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
				if code != ExitBadInput {
					t.Errorf("%s: exit %d, want %d\n%s\n%s", args[0], code, ExitBadInput, stdout.String(), stderr.String())
				}
				if !strings.Contains(stderr.String(), "may only refer inside itself") {
					t.Errorf("%s: stderr does not explain the refusal:\n%s", args[0], stderr.String())
				}
				all.WriteString(stdout.String() + stderr.String())
			}
			b, err := os.ReadFile(report)
			if err != nil {
				t.Fatalf("no JSON report: %v", err)
			}
			all.Write(b)
			if strings.Contains(all.String(), secret) {
				t.Errorf("the referenced file's content was printed:\n%s", all.String())
			}
			if *calls != 0 {
				t.Errorf("%d model calls for a suite that does not load", *calls)
			}
		})
	}
}

// TestActionYAMLPassesTheTokenOnlyAsAnInput: the composite action gives the
// promptgate step the token only as INPUT_GITHUB-TOKEN, which the publisher
// reads, never as GITHUB_TOKEN, and every INPUT_* it sets is an input.
func TestActionYAMLPassesTheTokenOnlyAsAnInput(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n    - id: check\n")
	if i < 0 {
		t.Fatal("action.yml has no step with id check")
	}
	step := text[i+1:]
	if j := strings.Index(step[1:], "\n    - "); j >= 0 {
		step = step[:j+1]
	}
	env := step[strings.Index(step, "      env:\n"):strings.Index(step, "      run: |")]
	for _, line := range strings.Split(env, "\n") {
		name, _, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || name == "env" {
			continue
		}
		if name == "GITHUB_TOKEN" {
			t.Errorf("the promptgate step exports GITHUB_TOKEN: %s", line)
		}
		if strings.Contains(line, "github-token") && name != "INPUT_GITHUB-TOKEN" {
			t.Errorf("the token reaches the step as %s", name)
		}
		if input, ok := strings.CutPrefix(name, "INPUT_"); ok && !strings.Contains(text, "\n  "+strings.ToLower(input)+":\n") {
			t.Errorf("%s names no input of action.yml", name)
		}
	}
	for _, want := range []string{"INPUT_FAIL-ON-SKIP: ${{ inputs.fail-on-skip }}", "INPUT_CACHE-DIR: ${{ steps.cachekey.outputs.path }}"} {
		if !strings.Contains(env, want) {
			t.Errorf("the promptgate step's env lacks %q", want)
		}
	}
}

// TestEventNotesAreEscaped: notes quote branch names, which whoever pushes
// chooses; in the summary they go through report.EscapeInline, so they mention
// nobody and render no HTML or markdown link.
func TestEventNotesAreEscaped(t *testing.T) {
	t.Parallel()
	res := &check.Outcome{}
	ev := ghevent.Event{Notes: []string{"@everyone<img src=x onerror=alert(1)>[x](https://evil.example) is a new branch"}}
	out, err := actionOutcome(res, ev, "", report.DiffOptions{})
	if err != nil {
		t.Fatal(err)
	}
	note, _, _ := strings.Cut(out.Summary, "\n")
	if live := mdcheck.Live(note); len(live) > 0 {
		t.Errorf("note line renders %v: %s", live, note)
	}
	if !strings.HasPrefix(note, "> @\u200beveryone&lt;img") {
		t.Errorf("note line = %q, want the escaped branch name", note)
	}
}

// TestCheckLocalCacheTrust: run locally, with the cache in the work tree as
// the defaults have it. Entries the compared commits add are ignored, so both
// prompts are really evaluated (base has no recorded answers); what the check
// records in the work tree, even over a committed entry, is the developer's own
// and answers the next run, which makes no model call.
func TestCheckLocalCacheTrust(t *testing.T) {
	t.Parallel()
	model := newSwitchModel(t)
	dir, base, _ := scenarioRepo(t)
	cacheDir := filepath.Join(dir, ".promptgate", "cache")
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
	getenv := func(k string) string { return env[k] }
	model.perfect.Store(true)
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--cache-dir", cacheDir}, getenv, &out, &errb); code == ExitBadInput {
		t.Fatalf("record: exit %d\n%s", code, errb.String())
	}
	model.perfect.Store(false)
	// The change's entries were recorded some time before the check runs, as
	// a pull request's are. Recorded in the same second, an answer that did
	// not change would be byte-for-byte the committed entry, which the check
	// hides, and the second run would call the model again for it.
	backdateEntries(t, cacheDir, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "head: recorded answers that pass")
	head := git(t, dir, "rev-parse", "HEAD")
	before := model.Requests()
	for i, wantCalls := range []int64{8 + int64(confirmCalls(2)), 0} {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--head", head}, getenv, &stdout, &stderr)
		if code != ExitGateFail {
			t.Fatalf("run %d: exit %d, want %d\n%s\n%s", i+1, code, ExitGateFail, stdout.String(), stderr.String())
		}
		if got := model.Requests() - before; got != wantCalls {
			t.Errorf("run %d: %d model calls, want %d", i+1, got, wantCalls)
		}
		before = model.Requests()
		if !strings.Contains(stdout.String(), "4 recorded responses that this change adds or edits") {
			t.Errorf("run %d: report does not count the ignored entries:\n%s", i+1, stdout.String())
		}
	}
}

// backdateEntries rewrites every entry of the cache at dir as recorded at t.
func backdateEntries(t *testing.T, dir string, at time.Time) {
	t.Helper()
	store, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		key, ok := cache.KeyOfPath(filepath.ToSlash(rel))
		if !ok {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		e, err := cache.DecodeEntry(b, key)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		e.Created = at
		n++
		return store.Put(e)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no cache entries under %s", dir)
	}
}

// TestCheckPromptfooProviderFromBase: a promptfoo config's provider is a rule
// like promptgate.yaml's. A change that rewords the prompt and, in the same
// commit, points the provider's apiBaseUrl at its own server is evaluated at
// base's endpoint (the regression shows), its server is never called, and the
// endpoint change is listed under Config changes.
func TestCheckPromptfooProviderFromBase(t *testing.T) {
	t.Parallel()
	model, calls := fakeModel(t)
	pr := newPRServer(t)
	config := func(url string) string {
		return "prompts: [file://prompts/sentiment.txt]\nproviders:\n  - id: openai:chat:gpt-4o-mini\n    config: {apiBaseUrl: " + url + "/v1}\ntests: file://tests.csv\noutputPath: results.json\n"
	}
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml":  config(model.URL),
		"prompts/sentiment.txt": "Is this good? {{text}}\n",
		"tests.csv":             "text,__expected,__description\nA good day,positive,good\nA lovely day,negative,lovely\n",
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/sentiment.txt": "Label the sentiment: {{text}}\n", "promptfooconfig.yaml": config(pr.URL)})
	git(t, dir, "commit", "-qam", "reword, and answer from my own server")
	env := map[string]string{"OPENAI_API_KEY": "k"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--cache-dir", t.TempDir()}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout.String(), stderr.String())
	}
	if got := pr.seen(); len(got) != 0 {
		t.Errorf("the change's own server got %d requests, want 0: %v", len(got), got)
	}
	// check says, as eval does, what of the promptfoo config it does not run.
	if !strings.Contains(stderr.String(), `warning: promptfooconfig.yaml:6: key "outputPath" is not supported`) {
		t.Errorf("check does not warn about the promptfoo key it ignores:\n%s", stderr.String())
	}
	if *calls != 4 {
		t.Errorf("base's endpoint got %d calls, want 4 (2 cases at base and head)", *calls)
	}
	if want := "`providers.promptfoo-gpt-4o-mini.base_url`: `" + model.URL + "/v1` → `" + pr.URL + "/v1`; base's provider used"; !strings.Contains(stdout.String(), want) {
		t.Errorf("report lacks %q:\n%s", want, stdout.String())
	}
}

// TestPromptfooReservedKeyEnvIsAConfigError: apiKeyEnvar in a promptfoo
// config follows api_key_env's rule, with the promptfoo file and line.
func TestPromptfooReservedKeyEnvIsAConfigError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml": "prompts: ['Is this good? {{text}}']\nproviders:\n  - id: openai:chat:gpt-4o-mini\n    config:\n      apiBaseUrl: http://127.0.0.1:1/v1\n      apiKeyEnvar: GITHUB_TOKEN\ntests:\n  - vars: {text: a good day}\n",
	})
	env := map[string]string{"GITHUB_TOKEN": "ghs_secret"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--no-cache"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitBadInput || !strings.Contains(stderr.String(), "promptfooconfig.yaml:6: apiKeyEnvar \"GITHUB_TOKEN\" names a GITHUB_* variable") {
		t.Fatalf("exit %d, want %d naming promptfooconfig.yaml:6\n%s\n%s", code, ExitBadInput, stdout.String(), stderr.String())
	}
	if strings.Contains(stdout.String()+stderr.String(), "ghs_secret") {
		t.Error("the token's value was printed")
	}
}
