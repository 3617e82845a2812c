package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// fakeGitHub is an httptest fake of the parts of the GitHub REST API the Action
// uses. It checks method, path and body, keeps check runs, and fails the test on
// any route it does not expect.
type fakeGitHub struct {
	t         testing.TB
	mu        sync.Mutex
	checkRuns map[int64]map[string]any // id → merged fields
	annots    map[int64][]map[string]any
	creates   int
	updates   int
	forbid    bool
	// createStatus, when set, answers every check-run creation (404 when the
	// token cannot see the repository).
	createStatus int
	// commentStatus, when set, answers every sticky-comment request (403 for a
	// fork PR's read-only token); comments counts those requests.
	commentStatus int
	comments      int
	// history are the default branch's commits, newest first, each with the
	// summary of its promptgate check run ("" for a commit with none);
	// historyStatus, when set, answers the commit listing (403: the token
	// cannot read). historyCalls counts the Commits and Checks reads.
	history       []historyCommit
	historyStatus int
	historyCalls  int
	historyBranch string
}

// historyCommit is one default-branch commit of the fake and its check run,
// made by the app App ("" is github-actions, as the Action's token makes it).
type historyCommit struct {
	SHA, Summary, App string
}

func newFakeGitHub(t testing.TB) (*fakeGitHub, *ghfake.Routes) {
	return newFakeGitHubFor(t, "Codertocat/Hello-World")
}

// newFakeGitHubFor is newFakeGitHub for the repository fullName ("owner/repo").
func newFakeGitHubFor(t testing.TB, fullName string) (*fakeGitHub, *ghfake.Routes) {
	f := &fakeGitHub{t: t, checkRuns: map[int64]map[string]any{}, annots: map[int64][]map[string]any{}}
	routes := map[string]http.HandlerFunc{}
	handle := func(pattern string, h http.HandlerFunc) { routes[pattern] = h }
	handle("POST /repos/"+fullName+"/check-runs", func(w http.ResponseWriter, r *http.Request) {
		body := f.decode(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.forbid || f.createStatus != 0 {
			w.WriteHeader(cmp.Or(f.createStatus, http.StatusForbidden))
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
			return
		}
		f.creates++
		if body["name"] != "promptgate" || body["head_sha"] == "" {
			t.Errorf("create check run: body %v", body)
		}
		id := int64(100 + f.creates)
		f.checkRuns[id] = body
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"id": id, "name": body["name"], "head_sha": body["head_sha"], "status": body["status"]})
	})
	handle("PATCH /repos/"+fullName+"/check-runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		body := f.decode(r)
		var id int64
		fmt.Sscan(r.PathValue("id"), &id)
		f.mu.Lock()
		defer f.mu.Unlock()
		run, ok := f.checkRuns[id]
		if !ok {
			t.Errorf("update of unknown check run %d", id)
			http.NotFound(w, r)
			return
		}
		f.updates++
		for k, v := range body {
			if k == "output" {
				out := v.(map[string]any)
				if as, ok := out["annotations"].([]any); ok {
					if len(as) > 50 {
						t.Errorf("update sent %d annotations, GitHub allows 50", len(as))
					}
					for _, a := range as {
						f.annots[id] = append(f.annots[id], a.(map[string]any))
					}
				}
			}
			run[k] = v
		}
		json.NewEncoder(w).Encode(map[string]any{"id": id})
	})
	comment := func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.comments++
		if f.commentStatus == 0 {
			t.Errorf("fake GitHub: sticky comment %s %s, but this test expects none", r.Method, r.URL.Path)
		}
		w.WriteHeader(cmp.Or(f.commentStatus, http.StatusForbidden))
		fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
	}
	handle("GET /repos/"+fullName+"/issues/{n}/comments", comment)
	handle("POST /repos/"+fullName+"/issues/{n}/comments", comment)
	handle("GET /repos/"+fullName+"/commits", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.historyCalls++
		f.historyBranch = r.URL.Query().Get("sha")
		if r.URL.Query().Get("per_page") == "" {
			t.Errorf("list commits without per_page: %s", r.URL)
		}
		if f.historyStatus != 0 {
			w.WriteHeader(f.historyStatus)
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
			return
		}
		var list []map[string]any
		for _, c := range f.history {
			list = append(list, map[string]any{"sha": c.SHA})
		}
		if list == nil {
			list = []map[string]any{}
		}
		json.NewEncoder(w).Encode(list)
	})
	handle("GET /repos/"+fullName+"/commits/{sha}/check-runs", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.historyCalls++
		if q := r.URL.Query(); q.Get("check_name") != "promptgate" || q.Get("filter") != "latest" || q.Get("status") != "completed" {
			t.Errorf("list check runs: query %s, want check_name=promptgate, status=completed and filter=latest", r.URL.RawQuery)
		}
		runs := []map[string]any{}
		for _, c := range f.history {
			if c.SHA == r.PathValue("sha") && c.Summary != "" {
				runs = append(runs, map[string]any{"id": 1, "name": "promptgate", "head_sha": c.SHA, "status": "completed",
					"conclusion": "success", "output": map[string]any{"title": "promptgate: no regressions", "summary": c.Summary},
					"app": map[string]any{"id": 15368, "slug": cmp.Or(c.App, "github-actions")}})
			}
		}
		json.NewEncoder(w).Encode(map[string]any{"total_count": len(runs), "check_runs": runs})
	})
	return f, ghfake.NewRoutes(t, ghfake.RoutesOptions{Auth: []string{"Bearer ghs_test", "token ghs_test"}}, routes)
}

func (f *fakeGitHub) decode(r *http.Request) map[string]any {
	var m map[string]any
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		f.t.Errorf("%s %s: body: %v", r.Method, r.URL.Path, err)
	}
	return m
}

// fakeModel answers chat completions: "positive" when the text says good,
// "negative" otherwise — except that the head prompt ("Label the sentiment")
// gets two cases wrong.
func fakeModel(t testing.TB) (*llmfake.API, *int) {
	var mu sync.Mutex
	calls := 0
	return llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
		mu.Lock()
		calls++
		mu.Unlock()
		text := req.Last()
		answer := "negative"
		if strings.Contains(text, "good") {
			answer = "positive"
		}
		if strings.Contains(text, "Label the sentiment") && (strings.Contains(text, "lovely") || strings.Contains(text, "awful")) {
			answer = "neutral"
		}
		writeAnswer(w, req, answer)
	}}), &calls
}

// writeAnswer writes answer as the completion the cli tests' fakes give: 200
// prompt tokens and 5 completion tokens, whatever the question.
func writeAnswer(w http.ResponseWriter, req llmfake.Call, answer string) {
	llmfake.WriteCompletion(w, llmfake.Completion{ID: "c", Model: req.Model, Content: answer, In: 200, Out: 5})
}

// git runs a hermetic git in dir (see gittest.Run).
func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return gittest.Run(t, dir, args...)
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

const scenarioConfig = `traffic:
  classify: {requests_per_day: 10000}
budget: {monthly_usd: 100}
gate: {max_cost_increase_pct: 20}
`

const scenarioPrompt = `---
model: %s
input:
  schema:
    text: string
---
{{role "user"}}
%s: {{text}}
`

const scenarioSuite = `prompt: classify
threshold: 0.75
tests:
  - description: plainly good
    vars: {text: "a good day"}
    assert: [{type: icontains, value: positive}]
  - description: lovely but subtle
    vars: {text: "a lovely and good surprise"}
    assert: [{type: icontains, value: positive}]
  - description: plainly bad
    vars: {text: "a bad day"}
    assert: [{type: icontains, value: negative}]
  - description: awful service
    vars: {text: "awful service"}
    assert: [{type: icontains, value: negative}]
`

// scenarioRepo makes a base commit and a head commit that breaks two cases and
// moves to a dearer model. It returns the repo dir and both SHAs.
func scenarioRepo(t testing.TB) (dir, base, head string) {
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":         scenarioConfig,
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
		"README.md":               "demo\n",
	})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1", "Label the sentiment")})
	git(t, dir, "commit", "-qam", "head: dearer model, new wording")
	head = git(t, dir, "rev-parse", "HEAD")
	return dir, base, head
}

// pullRequestEvent rewrites the recorded pull_request payload to point at our commits.
func pullRequestEvent(t testing.TB, dir, base, head string) string {
	raw, err := os.ReadFile("testdata/events/pull_request.opened.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	pr := ev["pull_request"].(map[string]any)
	pr["base"].(map[string]any)["sha"] = base
	pr["head"].(map[string]any)["sha"] = head
	out, _ := json.Marshal(ev)
	p := filepath.Join(dir, "..", "event.json")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestActionScenarioRegressionAndDearerModel(t *testing.T) {
	t.Parallel()
	dir, base, head := scenarioRepo(t)
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout.String(), stderr.String())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	run := assertOneFailedCheckRun(t, gh, head, *calls)
	out := run["output"].(map[string]any)
	summary := out["summary"].(string)
	for _, want := range []string{"lovely but subtle", "awful service", "regression", "/month"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	// The two regressed cases start at lines 7 and 13 of evals/classify.yaml.
	lines := map[float64]bool{}
	for _, a := range gh.annots[101] {
		if a["path"] == "evals/classify.yaml" {
			lines[a["start_line"].(float64)] = true
		}
	}
	if !lines[7] || !lines[13] {
		t.Errorf("annotations at lines %v, want 7 and 13 in evals/classify.yaml; all: %v", lines, gh.annots[101])
	}
	outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
	for _, want := range []string{"conclusion", "failure", "regressions", "cost-delta-monthly", "report-json"} {
		if !strings.Contains(string(outputs), want) {
			t.Errorf("outputs lack %q:\n%s", want, outputs)
		}
	}
	if s, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"]); !strings.Contains(string(s), "awful service") {
		t.Errorf("job summary not written:\n%s", s)
	}
	if strings.Contains(stdout.String()+stderr.String(), "ghs_test") && !strings.Contains(stdout.String(), "::add-mask::ghs_test") {
		t.Errorf("token printed unmasked")
	}
}

// assertOneFailedCheckRun checks the outcome every regressing scenario shares:
// 8 model calls (4 cases at base and head) and exactly one check run, on head,
// completed as failure. The caller holds gh.mu.
func assertOneFailedCheckRun(t testing.TB, gh *fakeGitHub, head string, calls int) map[string]any {
	t.Helper()
	if want := 8 + confirmCalls(2); calls != want {
		t.Errorf("model calls = %d, want %d (4 cases × base and head, and the 2 flipped cases confirmed at both sides)", calls, want)
	}
	if gh.creates != 1 || len(gh.checkRuns) != 1 {
		t.Fatalf("check runs created = %d, want exactly 1", gh.creates)
	}
	run := gh.checkRuns[101]
	if run["head_sha"] != head || run["conclusion"] != "failure" || run["status"] != "completed" {
		t.Errorf("check run on %v ended %v/%v, want on %s completed/failure", run["head_sha"], run["status"], run["conclusion"], head)
	}
	return run
}

// confirmCalls is what confirming n flipped cases costs: each is sampled
// verdict.MaxConfirmSamples more times at base and at head.
func confirmCalls(n int) int { return 2 * n * verdict.MaxConfirmSamples }

// evalNoCache runs `promptgate eval -C dir --no-cache --quiet` with env as
// the whole environment and returns its exit code and output.
func evalNoCache(dir string, env map[string]string) (code int, stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	code = Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet"}, func(k string) string { return env[k] }, stdout, stderr)
	return code, stdout, stderr
}
