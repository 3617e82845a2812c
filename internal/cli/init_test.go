package cli

import (
	"bytes"
	"context"
	"io/fs"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// snapshot reads every file under dir except .git.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestInitThenEval is the first five minutes: an empty git repository,
// promptgate init, promptgate eval against an OpenAI-compatible endpoint
// (exit 0), and a second init that changes nothing.
func TestInitThenEval(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	srv := llmfake.New(llmfake.Options{APIKey: "sk-test"})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	env := func(k string) string {
		switch k {
		case "OPENAI_API_KEY":
			return "sk-test"
		case "OPENAI_BASE_URL":
			return ts.URL + "/v1"
		}
		return ""
	}
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"init", "-C", dir}, env, &stdout, &stderr); code != ExitOK {
		t.Fatalf("init: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	first := snapshot(t, dir)
	for _, f := range []string{"promptgate.yaml", "prompts/hello.prompt", "evals/hello.yaml", ".github/workflows/promptgate.yml", ".gitignore"} {
		if _, ok := first[f]; !ok {
			t.Errorf("init did not write %s", f)
		}
	}
	stdout.Reset()
	stderr.Reset()
	code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--cache-dir", filepath.Join(dir, ".promptgate/cache")}, env, &stdout, &stderr)
	if code != ExitOK || srv.Requests.Load() != 2 || len(srv.Problems()) > 0 {
		t.Fatalf("eval after init: exit %d, %d requests, problems %v\n%s%s", code, srv.Requests.Load(), srv.Problems(), stdout.String(), stderr.String())
	}
	if out, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--ignored").CombinedOutput(); err != nil || !strings.Contains(string(out), "!! .promptgate/") {
		t.Errorf("the response cache is not ignored by git: %v\n%s", err, out)
	}
	before := snapshot(t, dir)
	stdout.Reset()
	if code := Main(context.Background(), []string{"init", "-C", dir, "--yes"}, env, &stdout, &stderr); code != ExitOK {
		t.Fatalf("second init: exit %d\n%s", code, stderr.String())
	}
	if d := cmp.Diff(before, snapshot(t, dir)); d != "" {
		t.Errorf("second init changed files (-before +after):\n%s", d)
	}
	if !strings.Contains(stdout.String(), "skipped promptgate.yaml: it exists") || !strings.Contains(stdout.String(), "nothing to do") {
		t.Errorf("second init output:\n%s", stdout.String())
	}
}

// TestInitKeepsFilesAndWiresPromptfoo: an existing workflow and .gitignore
// are kept (the .gitignore gains only its missing line), and a promptfoo
// config is listed under promptfoo: instead of a sample suite.
func TestInitKeepsFilesAndWiresPromptfoo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pf := "prompts: ['Say {{word}}']\nproviders: [openai:chat:gpt-4.1-mini]\ntests:\n  - vars: {word: hi}\n    assert: [{type: icontains, value: hi}]\n"
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml":             pf,
		".github/workflows/promptgate.yml": "mine\n",
		".gitignore":                       "node_modules/",
	})
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"init", "-C", dir, "--yes"}, func(string) string { return "" }, &stdout, &stderr); code != ExitOK {
		t.Fatalf("init: exit %d\n%s", code, stderr.String())
	}
	got := snapshot(t, dir)
	if got[".github/workflows/promptgate.yml"] != "mine\n" || got["promptfooconfig.yaml"] != pf {
		t.Error("init replaced an existing file")
	}
	if want := "node_modules/\n\n# promptgate: the local response cache\n.promptgate/\n"; got[".gitignore"] != want {
		t.Errorf(".gitignore = %q, want %q", got[".gitignore"], want)
	}
	if !strings.Contains(got["promptgate.yaml"], "promptfoo:\n  - promptfooconfig.yaml\n") {
		t.Errorf("promptgate.yaml does not list the promptfoo config:\n%s", got["promptgate.yaml"])
	}
	if _, ok := got["evals/hello.yaml"]; ok {
		t.Error("a sample suite was written next to a promptfoo config")
	}
	if !strings.Contains(stdout.String(), "skipped .github/workflows/promptgate.yml: it exists") {
		t.Errorf("init did not say what it skipped:\n%s", stdout.String())
	}
	// The config init wrote loads, with the promptfoo suite in it.
	stdout.Reset()
	stderr.Reset()
	code := Main(context.Background(), []string{"eval", "-C", dir, "--offline", "--quiet", "--cache-dir", t.TempDir()}, func(string) string { return "" }, &stdout, &stderr)
	if code != ExitBadInput || !strings.Contains(stderr.String(), "could not be made") {
		t.Errorf("eval --offline with an empty cache: exit %d, want 2 for the unrecorded runs (the config loads)\n%s", code, stderr.String())
	}
}
