package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// bigRepo makes a base with nPrompts prompts of nCases cases each, and a head that
// rewords every prompt so each one is affected. When breakAll is set, the head
// wording makes the fake model answer "neutral", so every case regresses.
func bigRepo(t testing.TB, nPrompts, nCases int, breakAll bool) (dir, base, head string) {
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	files := map[string]string{"promptgate.yaml": "traffic: {}\n"}
	for p := range nPrompts {
		var suite strings.Builder
		fmt.Fprintf(&suite, "prompt: p%03d\nthreshold: 0.5\ntests:\n", p)
		for c := range nCases {
			fmt.Fprintf(&suite, "  - description: case %d\n    vars: {text: \"good p%d c%d\"}\n    assert: [{type: icontains, value: positive}]\n", c, p, c)
		}
		files[fmt.Sprintf("prompts/p%03d.prompt", p)] = fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment")
		files[fmt.Sprintf("evals/p%03d.yaml", p)] = suite.String()
	}
	writeFiles(t, dir, files)
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	wording := "Classify the overall sentiment"
	if breakAll {
		wording = "Label the sentiment, lovely"
	}
	headFiles := map[string]string{}
	for p := range nPrompts {
		headFiles[fmt.Sprintf("prompts/p%03d.prompt", p)] = fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", wording)
	}
	writeFiles(t, dir, headFiles)
	git(t, dir, "commit", "-qam", "head")
	head = git(t, dir, "rev-parse", "HEAD")
	return dir, base, head
}

func actionEnv(t testing.TB, dir, base, head, ghURL, modelURL string) map[string]string {
	return actionEnvFor(t, dir, "pull_request", pullRequestEvent(t, dir, base, head), "Codertocat/Hello-World", ghURL, modelURL)
}

// TestActionBigPRBatchesAnnotations: 120 changed prompts that all regress give one
// check run carrying all 120 regression annotations (sent 50 at a time) and a
// summary under GitHub's 65,535-character limit.
func TestActionBigPRBatchesAnnotations(t *testing.T) {
	t.Parallel()
	dir, base, head := bigRepo(t, 120, 1, true)
	gh, ghSrv := newFakeGitHub(t)
	model, _ := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr); code != ExitGateFail {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	if gh.creates != 1 {
		t.Fatalf("%d check runs, want 1", gh.creates)
	}
	regressions := 0
	for _, a := range gh.annots[101] {
		if strings.HasPrefix(a["title"].(string), "promptgate regression") {
			regressions++
		}
	}
	if regressions != 120 {
		t.Errorf("%d regression annotations delivered, want 120", regressions)
	}
	if gh.updates < 3 {
		t.Errorf("%d updates; 120+ annotations need at least 3 batches of 50", gh.updates)
	}
	summary := gh.checkRuns[101]["output"].(map[string]any)["summary"].(string)
	if n := len([]rune(summary)); n > 65535 {
		t.Errorf("summary is %d characters, over GitHub's limit", n)
	}
}

// TestCheckWarmCacheZeroCalls: a 20-prompt × 20-case PR checked twice makes its
// 800 model calls once; the warm run makes none and still reports every prompt.
// Its wall time is BenchmarkCheckWarmCache (scripts/bench-eval.sh prints it): a
// timing bound inside go test -race flakes while another build shares the cores.
func TestCheckWarmCacheZeroCalls(t *testing.T) {
	t.Parallel()
	w := newWarmCheck(t)
	w.run(t)
	if *w.calls != 800 {
		t.Fatalf("cold run made %d model calls, want 800 (20×20 at base and head)", *w.calls)
	}
	out := w.run(t)
	if *w.calls != 800 {
		t.Errorf("warm run made %d more model calls, want 0", *w.calls-800)
	}
	if !strings.Contains(out, "p019") {
		t.Errorf("report lacks the last prompt:\n%s", out)
	}
}

// BenchmarkCheckWarmCache times a warm-cache check of 20 prompts × 20 cases.
func BenchmarkCheckWarmCache(b *testing.B) {
	w := newWarmCheck(b)
	w.run(b)
	for b.Loop() {
		w.run(b)
	}
	if *w.calls != 800 {
		b.Fatalf("warm runs made %d more model calls, want 0", *w.calls-800)
	}
}

// warmCheck is a 20-prompt × 20-case repository, a model fake and one cache dir.
type warmCheck struct {
	dir, base, head, cache string
	env                    map[string]string
	calls                  *int
}

func newWarmCheck(t testing.TB) *warmCheck {
	dir, base, head := bigRepo(t, 20, 20, false)
	model, calls := fakeModel(t)
	return &warmCheck{dir: dir, base: base, head: head, cache: filepath.Join(t.TempDir(), "cache"), calls: calls,
		env: map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}}
}

func (w *warmCheck) run(t testing.TB) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", w.dir, "--base", w.base, "--head", w.head, "--cache-dir", w.cache},
		func(k string) string { return w.env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	return stdout.String()
}
