package githubapp

import (
	"fmt"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// TestReplayedCommandCommitsNothing: an old signed `/rollout f 10`, re-sent with
// a new delivery ID after `/rollout f 50`, must not put the flag back to 10%.
func TestReplayedCommandCommitsNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	old := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout prompt-01 10"), byUser("alice", "User"), commentID(5001))
	newer := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout prompt-01 50"), byUser("alice", "User"), commentID(5002))
	for _, d := range []struct {
		id   string
		body []byte
	}{{"d-old", old}, {"d-new", newer}} {
		if got := r.deliver(t, d.id, "issue_comment", d.body, testSecret); got != 202 {
			t.Fatalf("%s: status %d", d.id, got)
		}
		eventually(t, "the reply to "+d.id, func() bool { return len(r.gh.Comments()) == map[string]int{"d-old": 1, "d-new": 2}[d.id] }, r.logs.String)
	}
	// The replay: the same signed body under a delivery ID GitHub never sent.
	r.deliver(t, "d-replayed", "issue_comment", old, testSecret)
	r.drain(t)
	if n := len(r.gh.Commits()); n != 2 {
		t.Errorf("commits = %d, want 2 (the replay commits nothing)", n)
	}
	assertShare(t, r, 50)
}

// TestOldCommentOnAnotherReplicaCommitsNothing: a replica that never saw the
// comment still refuses it once it is older than rollout.max_comment_age.
func TestOldCommentOnAnotherReplicaCommitsNothing(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	old := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
		commentBody("/rollout prompt-01 10"), writtenAgo(11*time.Minute), byUser("alice", "User"), commentID(5001))
	if got := r.deliver(t, "d-elsewhere", "issue_comment", old, testSecret); got != 202 {
		t.Fatalf("status %d", got)
	}
	r.drain(t)
	if n := len(r.gh.Commits()); n != 0 {
		t.Errorf("commits = %d, want 0", n)
	}
	assertShare(t, r, 5)
}

func assertShare(t *testing.T, r *rig, want int) {
	t.Helper()
	sp, err := flagd.ReadSplit(r.gh.File("master", flagsPath), flagd.JSON, "prompt-01")
	if err != nil || sp.RolloutPct != want {
		t.Errorf("prompt-01 = %+v (%v), want %d%%", sp, err, want)
	}
}

// TestStrangersHostileCommandEndToEnd: a delivery from a user with no access to
// the repository, full of mentions, links and HTML, gets one reply at the fake
// GitHub with none of them live, commits nothing, and a second one on the same
// PR within the hour gets no reply at all.
func TestStrangersHostileCommandEndToEnd(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	for i, body := range []string{"/rollout @org/admins <img src=x> http://evil.example 25",
		"/rollout f http://evil.example/again"} {
		d := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
			commentBody(body), byUser("eve", "User"), commentID(int64(6001+i)))
		if got := r.deliver(t, fmt.Sprintf("hostile-%d", i), "issue_comment", d, testSecret); got != 202 {
			t.Fatalf("status %d", got)
		}
	}
	r.drain(t)
	c := r.gh.Comments()
	if len(c) != 1 {
		t.Fatalf("replies = %d, want 1 (a stranger is answered once per PR per hour)", len(c))
	}
	if live := mdcheck.Live(c[0].Body); len(live) > 0 {
		t.Errorf("reply is live: %v\n%s", live, c[0].Body)
	}
	if n := len(r.gh.Commits()); n != 0 {
		t.Errorf("commits = %d, want 0", n)
	}
}
