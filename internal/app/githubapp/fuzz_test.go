package githubapp

import (
	"os"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/chatops"
)

// FuzzWanted checks the request-path filter never panics and never drops a
// delivery that the full go-github parse would treat as a command.
func FuzzWanted(f *testing.F) {
	if b, err := os.ReadFile("../../../testdata/webhooks/issue_comment.created.with-installation.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"action":"created","issue":{"pull_request":{}},"comment":{"body":"/rollout a 5","user":{"type":"User"}},"installation":{"id":1}}`))
	f.Add([]byte(`{"action":"created","issue":{"pull_request":null},"comment":{"body":"x\n/rollback a"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ok, _ := wanted("issue_comment", body)
		ev, err := github.ParseWebHook("issue_comment", body)
		if err != nil {
			return
		}
		ic := ev.(*github.IssueCommentEvent)
		if cmd, _ := commandComment(ic); cmd && !ok {
			t.Fatalf("filter dropped a command delivery: %s", body)
		}
		// Whatever chatops would answer must get past both filters.
		cmds, problems := chatops.Parse(ic.GetComment().GetBody())
		person := !isBot(ic.GetComment().GetUser().GetType(), ic.GetComment().GetUser().GetLogin())
		if len(cmds)+len(problems) > 0 && ic.GetAction() == "created" && ic.GetIssue().GetPullRequestLinks() != nil && person {
			if !ok {
				t.Fatalf("request-path filter dropped a comment chatops answers: %q", ic.GetComment().GetBody())
			}
			if !hasCommandLine(ic.GetComment().GetBody()) {
				t.Fatalf("hasCommandLine misses a comment chatops answers: %q", ic.GetComment().GetBody())
			}
		}
	})
}
