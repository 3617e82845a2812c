package rollout

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/testkit"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

// TestLowPermissionAnsweredOncePerHour: a user below triage gets one answer per
// PR per hour, however often they comment; a writer is always answered.
func TestLowPermissionAnsweredOncePerHour(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	clk := testkit.NewClock(time.Now())
	s := &Service{Now: clk.Now}
	ctx := context.Background()
	steps := []struct {
		user    string
		pr      int
		advance time.Duration
		replies int // total replies after this comment
	}{
		{"eve", 7, 0, 1},
		{"eve", 7, time.Minute, 1},
		{"rob", 7, time.Minute, 1}, // read is below triage too, and the limit is per PR
		{"eve", 8, 0, 2},           // another PR has its own hour
		{"alice", 7, 0, 3},         // writers are never limited
		{"eve", 7, time.Hour, 4},   // the hour is over
	}
	for i, st := range steps {
		clk.Advance(st.advance)
		req := request(gh, st.user, "/rollout prompt-01 25 <img src=x>")
		req.PR, req.CreatedAt = st.pr, clk.Now()
		_ = s.Handle(ctx, gh.Client(), req, quiet())
		if got := len(gh.Comments()); got != st.replies {
			t.Errorf("step %d (%s on #%d): replies = %d, want %d", i, st.user, st.pr, got, st.replies)
		}
	}
}

// TestOldCommentRefused: a comment older than rollout.max_comment_age commits
// nothing, whatever the delivery around it says.
func TestOldCommentRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		age   time.Duration
		zero  bool
		wantN int
	}{
		{name: "fresh", age: 9 * time.Minute, wantN: 1},
		{name: "older than the default 10m", age: 11 * time.Minute, wantN: 0},
		{name: "configured 1h", yaml: baseYAML + "  max_comment_age: 1h\n", age: 30 * time.Minute, wantN: 1},
		{name: "no creation time", zero: true, wantN: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, tt.yaml)
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			s := &Service{Now: func() time.Time { return now }}
			req := request(gh, "alice", "/rollout prompt-01 25")
			req.CreatedAt = now.Add(-tt.age)
			if tt.zero {
				req.CreatedAt = time.Time{}
			}
			if err := s.Handle(context.Background(), gh.Client(), req, quiet()); err != nil {
				t.Fatal(err)
			}
			if n := len(gh.Commits()); n != tt.wantN {
				t.Errorf("commits = %d, want %d", n, tt.wantN)
			}
			if c := gh.Comments(); tt.wantN == 0 && (len(c) != 1 || !strings.Contains(c[0].Body, RuleMaxCommentAge)) {
				t.Errorf("reply = %+v, want a refusal naming %s", c, RuleMaxCommentAge)
			}
		})
	}
}

// TestCommentFetchedAgainBeforeCommit: the delivery is a copy; a comment deleted
// or edited since commits nothing. The same holds for /rollout f auto, whose
// first step is a commit like a manual one.
func TestCommentFetchedAgainBeforeCommit(t *testing.T) {
	t.Parallel()
	commands := []struct {
		name, config, flags, command, other, ok string
	}{
		{"manual", baseYAML, "", "/rollout prompt-01 25", "/rollout prompt-01 50", "5% → 25%"},
		{"auto", unreachableYAML, zeroFlags, "/rollout summarize auto", "/rollout summarize 50", "🤖 Automatic rollout: every"},
	}
	tests := []struct {
		name    string
		change  func(gh *ghfake.Server, id int64, command, other string)
		commits int
		reply   string // "" means the command's own success reply
	}{
		{"unchanged", func(*ghfake.Server, int64, string, string) {}, 1, ""},
		{"deleted", func(gh *ghfake.Server, id int64, _, _ string) { gh.DeleteComment(id) }, 0, "was deleted"},
		{"edited to another command", func(gh *ghfake.Server, id int64, _, other string) { gh.SetComment(id, "alice", other) }, 0, "no longer holds this command"},
		{"edited, command kept", func(gh *ghfake.Server, id int64, command, _ string) {
			gh.SetComment(id, "alice", "typo fixed\n"+command)
		}, 1, ""},
		{"another author", func(gh *ghfake.Server, id int64, command, _ string) { gh.SetComment(id, "mallory", command) }, 0, "author"},
	}
	for _, c := range commands {
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				gh := setup(t, c.config)
				if c.flags != "" {
					gh.SetFile("main", flagsPath, []byte(c.flags))
				}
				req := request(gh, "alice", c.command)
				tt.change(gh, req.CommentID, c.command, c.other)
				s := &Service{}
				if err := s.Handle(context.Background(), gh.Client(), req, quiet()); err != nil {
					t.Fatal(err)
				}
				if n := len(gh.Commits()); n != tt.commits {
					t.Errorf("commits = %d, want %d", n, tt.commits)
				}
				want := tt.reply
				if want == "" {
					want = c.ok
				}
				if got := gh.Comments(); len(got) != 1 || !strings.Contains(got[0].Body, want) {
					t.Errorf("reply = %+v, want it to say %q", got, want)
				}
			})
		}
	}
}

// TestProtectedBranchIsNotRetried: branch protection's 422 is a refusal, not a
// stale sha, so the App neither retries nor reports a conflict.
func TestProtectedBranchIsNotRetried(t *testing.T) {
	t.Parallel()
	for _, msg := range []string{"Protected branch update failed for refs/heads/main.",
		"Repository rule violations found\n\nChanges must be made through a pull request."} {
		gh := setup(t, baseYAML)
		gh.Protected["main"] = msg
		s := &Service{Backoff: func(int) time.Duration { return 0 }}
		if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout prompt-01 25"), quiet()); err != nil {
			t.Errorf("%q: err = %v, want a refusal, not a failure", msg, err)
		}
		if n := gh.Count("PUT", "/repos/"); n != 1 {
			t.Errorf("%q: PUTs = %d, want 1 (no retry)", msg, n)
		}
		c := gh.Comments()
		if len(c) != 1 || !strings.Contains(c[0].Body, "refused by rule **"+RuleProtected+"**") {
			t.Errorf("%q: reply = %+v", msg, c)
		}
		var got []string
		for _, r := range gh.Reactions() {
			got = append(got, r.Content)
		}
		if diff := cmp.Diff([]string{"eyes", "confused"}, got); diff != "" {
			t.Errorf("reactions (-want +got):\n%s", diff)
		}
	}
}

// TestClaimedCommentIsNotRunAgain: the App's 👀 reaction marks a comment as
// taken in GitHub, so a second Service (another replica, or this one after a
// restart) does not run a replayed copy, even within max_comment_age. A job
// that failed gives its claim back, so GitHub's redelivery runs it.
func TestClaimedCommentIsNotRunAgain(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	ctx := context.Background()
	old := request(gh, "alice", "/rollout prompt-01 10")
	if err := (&Service{}).Handle(ctx, gh.Client(), old, quiet()); err != nil {
		t.Fatal(err)
	}
	if err := (&Service{}).Handle(ctx, gh.Client(), request(gh, "alice", "/rollout prompt-01 50"), quiet()); err != nil {
		t.Fatal(err)
	}
	if err := (&Service{}).Handle(ctx, gh.Client(), old, quiet()); err != nil { // a replica that never saw it
		t.Fatal(err)
	}
	if n := len(gh.Commits()); n != 2 {
		t.Errorf("commits = %d, want 2 (the replay commits nothing)", n)
	}
	if sp, err := flagd.ReadSplit(gh.File("main", flagsPath), flagd.JSON, "prompt-01"); err != nil || sp.RolloutPct != 50 {
		t.Errorf("prompt-01 = %+v (%v), want 50%%", sp, err)
	}

	failing := request(gh, "alice", "/rollout prompt-02 10")
	delete(gh.PullHeads, 7) // the check lookup fails: a GitHub error, not a refusal
	if err := (&Service{}).Handle(ctx, gh.Client(), failing, quiet()); err == nil {
		t.Fatal("Handle succeeded without the PR")
	}
	gh.SetPullHead(7, headSHA)
	if err := (&Service{}).Handle(ctx, gh.Client(), failing, quiet()); err != nil {
		t.Fatal(err)
	}
	if n := len(gh.Commits()); n != 3 {
		t.Errorf("commits = %d, want 3 (the failed job's redelivery runs)", n)
	}
}
