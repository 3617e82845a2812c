package change

import (
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// TestDetectFromGit runs the whole path promptgate check takes: two real
// commits, the diff and snapshots from gitrepo, then Detect.
func TestDetectFromGit(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not available")
	}
	dir := t.TempDir()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	write := func(files map[string]string) {
		for p, content := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	git("init", "-q", "-b", "main")
	write(baseRepo)
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	base := git("rev-parse", "HEAD")
	git("mv", "prompts/translate.prompt", "prompts/translate.v2.prompt")
	write(map[string]string{
		"prompts/_tone.prompt": "Be terse.\n",
		"promptgate.yaml":      strings.Replace(baseRepo["promptgate.yaml"], "monthly_usd: 5000", "monthly_usd: 100", 1),
		"README.md":            "# changed\n",
	})
	git("add", "-A")
	git("commit", "-q", "-m", "head")
	head := git("rev-parse", "HEAD")

	ctx := context.Background()
	repo := gitrepo.Repo{Dir: dir}
	changes, err := repo.ChangedFiles(ctx, base, head)
	if err != nil {
		t.Fatal(err)
	}
	load := func(rev string) Snapshot {
		t.Helper()
		fsys, err := repo.FS(ctx, rev, config.FileName, "prompts", "evals", "flags/prompts.flagd.json")
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := config.Load(fsys, config.FileName)
		if err != nil {
			t.Fatal(err)
		}
		prompts, err := prompt.Load(fsys, cfg.Paths.Prompts)
		if err != nil {
			t.Fatal(err)
		}
		suites, err := suite.Load(fsys, cfg.Paths.Evals)
		if err != nil {
			t.Fatal(err)
		}
		flags, _ := fs.ReadFile(fsys, cfg.Rollout.FlagsFile)
		return Snapshot{Config: cfg, Prompts: prompts, Suites: suites, FlagsFile: cfg.Rollout.FlagsFile, Flags: flags}
	}
	got := Detect(changes, load(base), load(head))
	want := Affected{
		Reeval: map[string][]Reason{
			"summarize":    {"partial _tone changed", ReasonBudgetChanged},
			"summarize.v2": {"partial _tone changed", ReasonBudgetChanged},
			"translate":    {ReasonPromptRemoved, ReasonBudgetChanged},
			"translate.v2": {ReasonPromptAdded, ReasonBudgetChanged},
		},
		Reproject: map[string][]Reason{"classify": {ReasonBudgetChanged}},
		Added:     []string{"translate.v2"},
		Removed:   []string{"translate"},
		Other:     []string{"README.md"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Detect from git (-want +got):\n%s", diff)
	}
}
