package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/gittest"
)

// originWithFeature builds the "origin" a runner's checkout clones from. Its
// default branch is master, as the recorded payloads name it, and holds the
// scenario's base commit; branch feature adds the head commit (a dearer model
// and a wording that breaks two cases); branch pull-merge is the merge commit
// GitHub checks out for a pull request (refs/pull/N/merge).
func originWithFeature(t testing.TB) (origin, base, head string) {
	origin = t.TempDir()
	git(t, origin, "init", "-q", "-b", "master")
	writeFiles(t, origin, map[string]string{
		"promptgate.yaml":         scenarioConfig,
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
		"README.md":               "demo\n",
	})
	git(t, origin, "add", "-A")
	git(t, origin, "commit", "-qm", "base")
	base = git(t, origin, "rev-parse", "HEAD")
	git(t, origin, "checkout", "-qb", "feature")
	writeFiles(t, origin, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1", "Label the sentiment")})
	git(t, origin, "commit", "-qam", "head: dearer model, new wording")
	head = git(t, origin, "rev-parse", "HEAD")
	git(t, origin, "checkout", "-qb", "pull-merge", "master")
	git(t, origin, "merge", "-q", "--no-ff", "-m", "Merge feature into master", "feature")
	git(t, origin, "checkout", "-q", "master")
	return origin, base, head
}

// shallowClone clones branch of origin at depth 1 over file://, the way
// actions/checkout does with its default fetch-depth.
func shallowClone(t testing.TB, origin, branch string) string {
	dir := filepath.Join(t.TempDir(), "checkout")
	git(t, "", "clone", "-q", "--depth=1", "--no-local", "--branch", branch, "file://"+origin, dir)
	return dir
}

// hasCommit reports whether the commit sha is in dir's object store.
func hasCommit(dir, sha string) bool {
	cmd := exec.Command("git", "cat-file", "-e", sha+"^{commit}")
	cmd.Dir = dir
	cmd.Env = gittest.Env()
	return cmd.Run() == nil
}

// recordedEvent reads a recorded payload from internal/action/ghevent/testdata/events,
// lets edit change the fields a test needs, and writes it where
// GITHUB_EVENT_PATH can name it.
func recordedEvent(t testing.TB, file string, edit func(ev map[string]any)) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "action", "ghevent", "testdata", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	edit(ev)
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// actionEnvFor is the environment the runner gives the check step for an event.
func actionEnvFor(t testing.TB, dir, eventName, eventPath, repo, ghURL, modelURL string) map[string]string {
	tmp := t.TempDir()
	for _, f := range []string{"summary.md", "output"} {
		if err := os.WriteFile(filepath.Join(tmp, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": eventName, "GITHUB_EVENT_PATH": eventPath,
		"GITHUB_API_URL": ghURL, "GITHUB_REPOSITORY": repo,
		"GITHUB_STEP_SUMMARY": filepath.Join(tmp, "summary.md"), "GITHUB_OUTPUT": filepath.Join(tmp, "output"),
		"RUNNER_TEMP": tmp, "INPUT_GITHUB-TOKEN": "ghs_test", "INPUT_WORKING-DIRECTORY": dir,
		"INPUT_CACHE-DIR": filepath.Join(tmp, "cache"),
		"OPENAI_API_KEY":  "test-key", "OPENAI_BASE_URL": modelURL + "/v1",
	}
}

// TestActionEvents drives `promptgate check` end to end for every event the
// Action supports, each from a depth-1 clone that lacks the base commit (and,
// for a pull request's merge checkout, the head commit too), so promptgate has
// to fetch or resolve them on the origin. Every case compares the scenario's
// base and head: two regressions and a dearer model, so exit 1 and one check
// run on the head commit concluding failure.
func TestActionEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		event string
		repo  string
		// clone is the branch the checkout is made from.
		clone string
		// payload builds the event file from the recorded payloads.
		payload func(t testing.TB, base, head string) string
		// env adds variables the runner would set for this event.
		env map[string]func(base, head string) string
		// wantInSummary are texts the job summary must hold besides the regressions.
		wantInSummary []string
	}{
		{
			name: "push before..after", event: "push", repo: "Codertocat/Hello-World", clone: "feature",
			payload: func(t testing.TB, base, head string) string {
				return recordedEvent(t, "push.new-branch.json", func(ev map[string]any) {
					ev["ref"], ev["before"], ev["after"], ev["created"] = "refs/heads/feature", base, head, false
				})
			},
		},
		{
			name: "push creating a branch compares with the default branch on the remote", event: "push",
			repo: "Codertocat/Hello-World", clone: "feature",
			payload: func(t testing.TB, _, head string) string {
				// before stays all zeros, as recorded: the branch is new.
				return recordedEvent(t, "push.new-branch.json", func(ev map[string]any) {
					ev["ref"], ev["after"] = "refs/heads/feature", head
				})
			},
			wantInSummary: []string{"feature is a new branch", "default branch master"},
		},
		{
			name: "workflow_dispatch with a base SHA", event: "workflow_dispatch", repo: "octo-org/octo-repo", clone: "feature",
			payload: func(t testing.TB, base, _ string) string {
				return recordedEvent(t, "workflow_dispatch.json", func(ev map[string]any) {
					ev["ref"], ev["inputs"] = "refs/heads/feature", map[string]any{"base": base}
				})
			},
			env: map[string]func(base, head string) string{"GITHUB_SHA": func(_, head string) string { return head }},
		},
		{
			// The checkout is of master (the base), and the head input names a
			// branch: both are resolved on the remote, and the check run goes on
			// the resolved head.
			name: "workflow_dispatch with base and head branches", event: "workflow_dispatch", repo: "octo-org/octo-repo", clone: "master",
			payload: func(t testing.TB, _, _ string) string {
				return recordedEvent(t, "workflow_dispatch.json", func(ev map[string]any) {
					ev["inputs"] = map[string]any{"base": "master", "head": "feature"}
				})
			},
			env: map[string]func(base, head string) string{"GITHUB_SHA": func(base, _ string) string { return base }},
		},
		{
			name: "pull_request from the merge checkout at depth 1", event: "pull_request", repo: "Codertocat/Hello-World", clone: "pull-merge",
			payload: func(t testing.TB, base, head string) string {
				return recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
					pr := ev["pull_request"].(map[string]any)
					pr["base"].(map[string]any)["sha"] = base
					pr["head"].(map[string]any)["sha"] = head
				})
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			origin, base, head := originWithFeature(t)
			dir := shallowClone(t, origin, tc.clone)
			if hasCommit(dir, base) && tc.clone != "master" {
				t.Fatalf("the depth-1 clone already has the base commit; the test would prove nothing")
			}
			if tc.clone == "pull-merge" && hasCommit(dir, head) {
				t.Fatalf("the merge checkout already has the PR head commit; the test would prove nothing")
			}
			gh, ghSrv := newFakeGitHubFor(t, tc.repo)
			model, calls := fakeModel(t)
			envs := actionEnvFor(t, dir, tc.event, tc.payload(t, base, head), tc.repo, ghSrv.URL, model.URL)
			for k, f := range tc.env {
				envs[k] = f(base, head)
			}
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
			if code != ExitGateFail {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout.String(), stderr.String())
			}
			gh.mu.Lock()
			defer gh.mu.Unlock()
			assertOneFailedCheckRun(t, gh, head, *calls)
			summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
			for _, want := range append([]string{"lovely but subtle", "awful service"}, tc.wantInSummary...) {
				if !strings.Contains(string(summary), want) {
					t.Errorf("job summary lacks %q:\n%s", want, summary)
				}
			}
			outputs, _ := os.ReadFile(envs["GITHUB_OUTPUT"])
			if !strings.Contains(string(outputs), "failure") {
				t.Errorf("outputs lack the conclusion failure:\n%s", outputs)
			}
		})
	}
}

// TestActionRefusesPullRequestTarget: under pull_request_target the check
// evaluates nothing, calls neither GitHub nor the model, exits 2 and says why,
// in the log and as an error annotation.
func TestActionRefusesPullRequestTarget(t *testing.T) {
	t.Parallel()
	origin, base, head := originWithFeature(t)
	dir := shallowClone(t, origin, "pull-merge")
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	event := recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
		pr := ev["pull_request"].(map[string]any)
		pr["base"].(map[string]any)["sha"] = base
		pr["head"].(map[string]any)["sha"] = head
	})
	envs := actionEnvFor(t, dir, "pull_request_target", event, "Codertocat/Hello-World", ghSrv.URL, model.URL)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitBadInput, stdout.String(), stderr.String())
	}
	for _, want := range []string{"refuses to run on pull_request_target", "secrets", "Run promptgate check on pull_request"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "::error::promptgate check refuses to run on pull_request_target") {
		t.Errorf("no error annotation on stdout:\n%s", stdout.String())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.creates != 0 || *calls != 0 {
		t.Errorf("check runs created = %d, model calls = %d; want none", gh.creates, *calls)
	}
}

// TestActionCompletesCheckRunWhenComparisonFails: a base commit the origin
// does not have (a force-push) stops the comparison; the check run that was
// started in_progress is completed as a failure that says why, instead of
// spinning on the PR forever, and the step exits 2.
func TestActionCompletesCheckRunWhenComparisonFails(t *testing.T) {
	t.Parallel()
	origin, _, head := originWithFeature(t)
	dir := shallowClone(t, origin, "pull-merge")
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	gone := strings.Repeat("ab", 20)
	event := recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
		pr := ev["pull_request"].(map[string]any)
		pr["base"].(map[string]any)["sha"] = gone
		pr["head"].(map[string]any)["sha"] = head
	})
	envs := actionEnvFor(t, dir, "pull_request", event, "Codertocat/Hello-World", ghSrv.URL, model.URL)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitBadInput, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "fetch commit "+gone) {
		t.Errorf("stderr does not name the missing base:\n%s", stderr.String())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.creates != 1 || *calls != 0 {
		t.Fatalf("check runs created = %d, model calls = %d; want 1 and 0", gh.creates, *calls)
	}
	run := gh.checkRuns[101]
	if run["status"] != "completed" || run["conclusion"] != "failure" {
		t.Errorf("check run left %v/%v, want completed/failure", run["status"], run["conclusion"])
	}
	out, _ := run["output"].(map[string]any)
	if summary, _ := out["summary"].(string); !strings.Contains(summary, gone) {
		t.Errorf("check run summary does not say what failed:\n%v", out)
	}
}
