package change

import (
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
)

// TestDetectFromGit runs the whole path promptgate check takes: two real
// commits, the diff and snapshots from gitrepo, then Detect.
func TestDetectFromGit(t *testing.T) {
	t.Parallel()
	r := gittest.New(t)
	dir := r.Dir
	base := r.Commit("base", baseRepo)
	r.Git("mv", "prompts/translate.prompt", "prompts/translate.v2.prompt")
	head := r.Commit("head", map[string]string{
		"prompts/_tone.prompt": "Be terse.\n",
		"promptgate.yaml":      strings.Replace(baseRepo["promptgate.yaml"], "monthly_usd: 5000", "monthly_usd: 100", 1),
		"README.md":            "# changed\n",
	})

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
