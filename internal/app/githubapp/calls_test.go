package githubapp

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCommandAPICalls pins the GitHub API calls one command costs, which
// docs/serve.md lists: an installation token allows 5,000 an hour.
func TestCommandAPICalls(t *testing.T) {
	t.Parallel()
	const repo = "/repos/Codertocat/Hello-World"
	tests := []struct {
		command string
		want    []string
	}{
		{command: "/rollout prompt-01 25%", want: []string{
			"POST /app/installations/1/access_tokens",               // once an hour per installation
			"GET " + repo + "/collaborators/alice/permission",       // before anything is quoted back
			"POST " + repo + "/issues/comments/492700400/reactions", // 👀: the claim that stops replays on any replica
			"GET " + repo + "/contents/promptgate.yaml",
			"GET " + repo + "/pulls/1",
			"GET " + repo + "/commits/6dcb09b5b57875f334f61aebed695e2e4193db5e/check-runs",
			"GET " + repo + "/contents/flags/prompts.flagd.json",
			"GET " + repo + "/issues/comments/492700400", // re-read: a deleted or edited comment commits nothing
			"PUT " + repo + "/contents/flags/prompts.flagd.json",
			"POST " + repo + "/issues/1/comments",
			"POST " + repo + "/issues/comments/492700400/reactions",
		}},
		{command: "/rollout prompt-01 status", want: []string{
			"POST /app/installations/1/access_tokens",
			"GET " + repo + "/collaborators/alice/permission",
			"POST " + repo + "/issues/comments/492700400/reactions",
			"GET " + repo + "/contents/promptgate.yaml",
			"GET " + repo + "/contents/flags/prompts.flagd.json",
			"GET " + repo + "/commits",
			"POST " + repo + "/issues/1/comments",
			"POST " + repo + "/issues/comments/492700400/reactions",
		}},
		{command: "/promptgate help", want: []string{
			"POST /app/installations/1/access_tokens",
			"GET " + repo + "/collaborators/alice/permission",
			"POST " + repo + "/issues/comments/492700400/reactions",
			"GET " + repo + "/contents/promptgate.yaml",
			"POST " + repo + "/issues/1/comments",
			"POST " + repo + "/issues/comments/492700400/reactions",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			body := payload(t, "issue_comment.created.with-installation.json", onPullRequest, commentBody(tt.command), byUser("alice", "User"))
			if got := r.deliver(t, "d-1", "issue_comment", body, testSecret); got != 202 {
				t.Fatalf("status %d", got)
			}
			r.drain(t)
			if diff := cmp.Diff(tt.want, r.gh.Calls()); diff != "" {
				t.Errorf("API calls (-want +got):\n%s", diff)
			}
		})
	}
}
