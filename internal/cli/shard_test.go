package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
)

// TestActionShardedMatrixMerges drives the matrix workflow of docs/action.md:
// four `check` jobs with the shard input each evaluate their part and publish
// nothing; the merge job downloads their reports into promptgate-shards/ and
// runs the action with shard: merge, which publishes the one check run an
// unsharded check would, with no further model call.
func TestActionShardedMatrixMerges(t *testing.T) {
	t.Parallel()
	dir, base, head := scenarioRepo(t)
	gh, ghSrv := newFakeGitHub(t)
	model, calls := fakeModel(t)
	envs := actionEnv(t, dir, base, head, ghSrv.URL, model.URL)
	shards := filepath.Join(t.TempDir(), "promptgate-shards")
	if err := os.Mkdir(shards, 0o755); err != nil {
		t.Fatal(err)
	}
	for k := 1; k <= 4; k++ {
		job := maps.Clone(envs)
		job["INPUT_SHARD"] = fmt.Sprintf("%d/4", k)
		var stdout, stderr bytes.Buffer
		if code := Main(context.Background(), []string{"check"}, func(key string) string { return job[key] }, &stdout, &stderr); code != ExitOK {
			t.Fatalf("shard %d/4: exit %d, want 0 (a shard is not judged)\nstdout:\n%s\nstderr:\n%s", k, code, stdout.String(), stderr.String())
		}
		// actions/upload-artifact and download-artifact, by hand.
		name := fmt.Sprintf("promptgate-report-shard-%d-of-4.json", k)
		b, err := os.ReadFile(filepath.Join(envs["RUNNER_TEMP"], name))
		if err != nil {
			t.Fatalf("shard %d/4 wrote no report: %v", k, err)
		}
		if err := os.WriteFile(filepath.Join(shards, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gh.mu.Lock()
	if gh.creates != 0 {
		t.Errorf("shard jobs created %d check runs, want none", gh.creates)
	}
	gh.mu.Unlock()
	if s, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"]); len(s) != 0 {
		t.Errorf("shard jobs wrote the job summary:\n%s", s)
	}

	merge := maps.Clone(envs)
	merge["INPUT_SHARD"] = "merge:" + shards
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check"}, func(k string) string { return merge[k] }, &stdout, &stderr)
	if code != ExitGateFail {
		t.Fatalf("merge: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitGateFail, stdout.String(), stderr.String())
	}
	gh.mu.Lock()
	defer gh.mu.Unlock()
	run := assertOneFailedCheckRun(t, gh, head, *calls)
	summary := run["output"].(map[string]any)["summary"].(string)
	for _, want := range []string{"lovely but subtle", "awful service", "regression", "/month"} {
		if !strings.Contains(summary, want) {
			t.Errorf("merged summary lacks %q:\n%s", want, summary)
		}
	}
	if s, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"]); !strings.Contains(string(s), "awful service") {
		t.Errorf("merge did not write the job summary:\n%s", s)
	}
}

// TestEvalShardsMerge: `eval --shard K/4 --format json` four times, then
// `merge`, gives the unsharded run's per-suite counts, cases and exit status
// in every format.
func TestEvalShardsMerge(t *testing.T) {
	t.Parallel()
	dir, _, _ := scenarioRepo(t)
	model, calls := fakeModel(t)
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}
	getenv := func(k string) string { return env[k] }
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		code := Main(context.Background(), args, getenv, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	wholeCode, wholeOut := run("eval", "-C", dir, "--no-cache", "--quiet", "--format", "json")
	var files []string
	for k := 1; k <= 4; k++ {
		code, out := run("eval", "-C", dir, "--no-cache", "--quiet", "--format", "json", "--shard", fmt.Sprintf("%d/4", k))
		if code != ExitOK {
			t.Fatalf("shard %d/4: exit %d\n%s", k, code, out)
		}
		f := filepath.Join(t.TempDir(), "part.json")
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if *calls != 8 {
		t.Errorf("model calls = %d, want 8: 4 for the whole run and 4 across the shards", *calls)
	}
	code, merged := run(append([]string{"merge", "--format", "json"}, files...)...)
	if code != wholeCode {
		t.Errorf("merge exit %d, whole run exit %d", code, wholeCode)
	}
	counts := func(out string) string {
		var r eval.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("decode %q: %v", out, err)
		}
		var b strings.Builder
		for _, s := range r.Suites {
			fmt.Fprintf(&b, "%s %d/%d/%d/%d;", s.Path, s.Passed, s.Failed, s.Errored, s.Skipped)
			for _, c := range s.Cases {
				fmt.Fprintf(&b, " %d:%s", c.Index, c.Status)
			}
		}
		return b.String()
	}
	if got, want := counts(merged), counts(wholeOut); got != want {
		t.Errorf("merged %q, whole run %q", got, want)
	}
	for _, format := range []string{"table", "markdown", "junit"} {
		if code, out := run(append([]string{"merge", "--format", format}, files...)...); code != wholeCode || !strings.Contains(out, "evals/classify.yaml") {
			t.Errorf("merge --format %s: exit %d\n%s", format, code, out)
		}
	}
	if code, out := run("merge", files[0], files[2]); code != ExitBadInput || !strings.Contains(out, "shard 2/4 is missing") {
		t.Errorf("merge of 2 of 4 shards: exit %d\n%s", code, out)
	}
}
