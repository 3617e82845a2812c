package githubapp

import (
	"fmt"
	"strings"
	"testing"
)

// TestLongCommentCostsFewCalls: one comment of 2,000 command lines runs at
// most chatops.MaxCommands of them, checks the commenter's permission before
// reading anything for a command, and answers with one reply under GitHub's
// 65,536-character limit that says the rest were ignored. It costs at most 20
// GitHub API calls (the installation token's included), whoever wrote it.
func TestLongCommentCostsFewCalls(t *testing.T) {
	t.Parallel()
	same := strings.Repeat("/rollout summarize-prompt status\n", 2000)
	var distinct, rollouts, mixed strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&distinct, "/rollout prompt-%02d status\n", i%20+1)
		fmt.Fprintf(&rollouts, "/rollout prompt-%02d %d%%\n", i%20+1, []int{1, 5, 10, 25, 50, 100}[i%6])
		fmt.Fprintf(&mixed, "/rollout prompt-%02d lots\n/rollback prompt-%02d\n", i%20+1, i%20+1)
	}
	tests := []struct {
		name, user, body string
		wantInReply      string
	}{
		{"stranger, one status repeated", "eve", same, "1999 more command line(s)"},
		{"stranger, 2,000 rollouts", "eve", rollouts.String(), "rollout.min_permission"},
		{"reader, distinct statuses", "rob", distinct.String(), "1995 more command line(s)"},
		{"writer, malformed and rollbacks", "alice", mixed.String(), "could not read"},
		{"writer, 2,000 rollouts", "alice", rollouts.String(), "1995 more command line(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			body := payload(t, "issue_comment.created.with-installation.json", onPullRequest, commentBody(tt.body), byUser(tt.user, "User"))
			if got := r.deliver(t, "d-1", "issue_comment", body, testSecret); got != 202 {
				t.Fatalf("status %d", got)
			}
			r.drain(t)
			calls := r.gh.Calls()
			if len(calls) > 20 {
				t.Errorf("%d GitHub API calls, want at most 20:\n%s", len(calls), strings.Join(calls, "\n"))
			}
			comments := r.gh.Comments()
			if len(comments) != 1 {
				t.Fatalf("%d replies, want 1", len(comments))
			}
			reply := comments[0].Body
			if n := len([]rune(reply)); n >= 65536 {
				t.Errorf("reply has %d characters, GitHub allows 65,535", n)
			}
			if !strings.Contains(reply, tt.wantInReply) {
				t.Errorf("reply does not say %q:\n%s", tt.wantInReply, reply)
			}
		})
	}
}
