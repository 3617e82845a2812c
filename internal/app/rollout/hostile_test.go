package rollout

import (
	"context"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/golden"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// TestHostileCommandsGetInertReplies: whatever a commenter writes, the reply that
// reaches GitHub holds no live mention, link, HTML or reference, and a team named
// in a refusal pings nobody.
func TestHostileCommandsGetInertReplies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, user, body string
		yaml             string
		golden           string
	}{
		{name: "stranger, everything at once", user: "eve", golden: "hostile_stranger.md",
			body: "/rollout @org/admins <img src=x> http://evil.example 25"},
		{name: "html as the percentage", user: "eve", body: "/rollout f <img/src=x>"},
		{name: "link as the percentage", user: "eve", body: "/rollout f http://evil.example/x"},
		{name: "link as the flag", user: "eve", body: "/rollback https://evil.example"},
		{name: "backtick breaks out of the code span", user: "eve", body: "/promptgate `@org/admins` [x](https://evil.example)"},
		{name: "references", user: "eve", body: "/rollout GH-1 #2 owner/repo#3"},
		{name: "www flag name is a valid flag", user: "alice", body: "/rollout www.evil.example 25"},
		{name: "team refusal", user: "alice", yaml: baseYAML + "  teams: [admins, other-org/ops]\n", body: "/rollout prompt-01 25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, tt.yaml)
			s := &Service{}
			_ = s.Handle(context.Background(), gh.Client(), request(gh, tt.user, tt.body), quiet())
			comments := gh.Comments()
			if len(comments) != 1 {
				t.Fatalf("comments = %+v, want one reply", comments)
			}
			if live := mdcheck.Live(comments[0].Body); len(live) > 0 {
				t.Errorf("reply to %q is live: %v\n%s", tt.body, live, comments[0].Body)
			}
			if tt.golden != "" {
				golden.Assert(t, tt.golden, comments[0].Body)
			}
			if n := len(gh.Commits()); n != 0 {
				t.Errorf("commits = %d, want none", n)
			}
		})
	}
}
