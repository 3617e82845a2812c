package check

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/suite"
)

// TestThresholdsFromBase: a suite that exists at base (at its path, renamed
// from it, or replacing a deleted suite of the same prompt) is held to base's
// threshold, and the changed value is reported; a new suite keeps its own.
func TestThresholdsFromBase(t *testing.T) {
	t.Parallel()
	base := &project.Project{Suites: []*suite.Suite{
		{Path: "evals/a.yaml", Prompt: "a", Threshold: 0.9},
		{Path: "evals/old.yaml", Prompt: "old", Threshold: 0.8},
		{Path: "evals/same.yaml", Prompt: "same", Threshold: 0.5},
		{Path: "evals/gone.yaml", Prompt: "sum", Variant: "v2", Threshold: 0.95},
	}}
	head := &project.Project{Suites: []*suite.Suite{
		{Path: "evals/a.yaml", Prompt: "a", Threshold: 0, ThresholdLine: 2},
		{Path: "evals/renamed.yaml", Prompt: "old", Threshold: 0.1, ThresholdLine: 3},
		{Path: "evals/same.yaml", Prompt: "same", Threshold: 0.5},
		{Path: "evals/new.yaml", Prompt: "new", Threshold: 0.2},
		{Path: "evals/replacement.yaml", Prompt: "sum", Variant: "v2", Threshold: 0, ThresholdLine: 4},
	}}
	changes := []gitrepo.FileChange{{Path: "evals/renamed.yaml", OldPath: "evals/old.yaml", Status: 'R'}}
	got := thresholdsFromBase(base, head, changes)
	want := []config.RuleChange{
		{Key: "threshold", File: "evals/a.yaml", Line: 2, Base: "0.9", Head: "0", Effect: "judged at base's 0.9"},
		{Key: "threshold", File: "evals/renamed.yaml", Line: 3, Base: "0.8", Head: "0.1", Effect: "judged at base's 0.8"},
		{Key: "threshold", File: "evals/replacement.yaml", Line: 4, Base: "0.95", Head: "0",
			Effect: "judged at base's 0.95, the threshold of evals/gone.yaml, which this change deletes"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	for i, wantT := range []float64{0.9, 0.8, 0.5, 0.2, 0.95} {
		if head.Suites[i].Threshold != wantT {
			t.Errorf("%s judged at %v, want %v", head.Suites[i].Path, head.Suites[i].Threshold, wantT)
		}
	}
}
