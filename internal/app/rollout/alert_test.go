package rollout

import (
	"context"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

func TestRollbackForAlert(t *testing.T) {
	t.Parallel()
	alert := AlertRollback{Owner: "Codertocat", Repo: "Hello-World", Flag: "prompt-01",
		AlertName: "CanaryErrors @oncall", Summary: "canary error rate <b>4%</b>\nsee [runbook](http://x)"}
	tests := []struct {
		name       string
		rolledOut  bool // whether PR #7 rolled the flag out through promptgate first
		wantGolden string
	}{
		{"comments on the PR that rolled it out", true, "alert_rollback.md"},
		{"no rollout commit, no comment", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, baseYAML)
			s := &Service{}
			if tt.rolledOut {
				if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout prompt-01 25%"), quiet()); err != nil {
					t.Fatal(err)
				}
			}
			before := len(gh.Commits())
			replies := len(gh.Comments())
			// Alertmanager repeats a firing alert; only the first may commit or comment.
			for range 3 {
				if err := s.RollbackForAlert(context.Background(), gh.Client(), alert, quiet()); err != nil {
					t.Fatal(err)
				}
			}
			commits := gh.Commits()[before:]
			if len(commits) != 1 {
				t.Fatalf("commits = %d, want exactly 1", len(commits))
			}
			split, err := flagd.ReadSplit(commits[0].Content, flagd.JSON, "prompt-01")
			if err != nil || split.RolloutPct != 0 {
				t.Fatalf("committed %d%% (%v), want 0%%", split.RolloutPct, err)
			}
			if !strings.Contains(commits[0].Message, "roll back prompt-01") || !strings.Contains(commits[0].Message, "Alertmanager alert CanaryErrors @\u200boncall is firing.") {
				t.Errorf("commit message %q", commits[0].Message)
			}
			comments := gh.Comments()[replies:]
			if tt.wantGolden == "" {
				if len(comments) != 0 {
					t.Errorf("comments = %+v, want none", comments)
				}
				return
			}
			if len(comments) != 1 || comments[0].Issue != 7 {
				t.Fatalf("comments = %+v, want one on #7", comments)
			}
			golden.Assert(t, tt.wantGolden, comments[0].Body)
		})
	}
}
