package rollout

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

const (
	flagsPath = "flags/prompts.flagd.json"
	headSHA   = "6dcb09b5b57875f334f61aebed695e2e4193db5e"
	baseYAML  = "rollout:\n  flags_file: flags/prompts.flagd.json\n  min_permission: write\n"
)

func fixture(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/flags20.flagd.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setup returns a fake repo with promptgate.yaml (baseYAML when yaml is "") and
// 20 flags at 5% on main, a writer alice, a reader rob, and PR #7 whose
// promptgate check passed.
func setup(t *testing.T, yaml string) *ghfake.Server {
	t.Helper()
	if yaml == "" {
		yaml = baseYAML
	}
	gh := ghfake.New(t)
	gh.SetFile("main", "promptgate.yaml", []byte(yaml))
	gh.SetFile("main", flagsPath, fixture(t))
	// The PR head carries a looser config and a different flags file; neither may be read.
	gh.SetFile(headSHA, "promptgate.yaml", []byte("rollout:\n  min_permission: read\n  steps: [30]\n"))
	gh.Permissions["alice"] = "write"
	gh.Permissions["rob"] = "read"
	gh.Permissions["mia"] = "maintain"
	gh.PullHeads[7] = headSHA
	summary := "## promptgate\n\n" + projection.Encode(projection.Projection{Flags: map[string]projection.FlagCost{
		"prompt-01": {StableMonthlyUSD: 1200, RolloutMonthlyUSD: 1800}}})
	gh.CheckRuns[headSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "success", Summary: summary}}
	return gh
}

// commentIDs numbers test comments: each comment is run once, because the App's
// 👀 reaction on it claims it.
var commentIDs atomic.Int64

// request is a new comment on PR #7, written just now; the fake holds it, so
// that the App finds it unchanged when it fetches it again before a commit.
func request(gh *ghfake.Server, user, body string) Request {
	return requestID(gh, 100+commentIDs.Add(1), user, body)
}

func requestID(gh *ghfake.Server, id int64, user, body string) Request {
	gh.SetComment(id, user, body)
	return Request{Owner: "Codertocat", Repo: "Hello-World", DefaultBranch: "main", PR: 7, CommentID: id, Commenter: user, Body: body,
		CreatedAt: time.Now()}
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestHandle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		yaml    string
		user    string
		body    string
		prepare func(*ghfake.Server)
		// setPct, when >= 0, is the share prompt-01 must end at through exactly one PUT.
		setPct    int
		reactions []string
		golden    string
	}{
		{name: "rollout", user: "alice", body: "Evals look good.\n/rollout prompt-01 25%", setPct: 25,
			reactions: []string{"eyes", "rocket"}, golden: "rollout_applied.md"},
		{name: "rollback", user: "alice", body: "/rollback prompt-01", setPct: 0,
			reactions: []string{"eyes", "rocket"}, golden: "rollback_applied.md"},
		{name: "maintainer passes write rule", user: "mia", body: "/rollout prompt-01 50", setPct: 50,
			reactions: []string{"eyes", "rocket"}, golden: "rollout_maintainer.md"},
		{name: "read user refused", user: "rob", body: "/rollout prompt-01 25%", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_permission.md"},
		{name: "stranger refused", user: "eve", body: "/rollback prompt-01", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_stranger.md"},
		{name: "failed check refused", user: "alice", body: "/rollout prompt-01 25%", setPct: -1,
			prepare: func(gh *ghfake.Server) {
				gh.CheckRuns[headSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "failure"}}
			},
			reactions: []string{"eyes", "confused"}, golden: "refused_check_failed.md"},
		{name: "missing check refused", user: "alice", body: "/rollout prompt-01 25%", setPct: -1,
			prepare:   func(gh *ghfake.Server) { delete(gh.CheckRuns, headSHA) },
			reactions: []string{"eyes", "confused"}, golden: "refused_check_missing.md"},
		{name: "check not required", yaml: baseYAML + "  require_check: false\n", user: "alice", body: "/rollout prompt-01 10",
			prepare: func(gh *ghfake.Server) { delete(gh.CheckRuns, headSHA) }, setPct: 10,
			reactions: []string{"eyes", "rocket"}, golden: "rollout_no_check.md"},
		{name: "rollback needs no passing check", user: "alice", body: "/rollback prompt-01", setPct: 0,
			prepare: func(gh *ghfake.Server) {
				gh.CheckRuns[headSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "failure"}}
			},
			reactions: []string{"eyes", "rocket"}, golden: "rollback_failed_check.md"},
		{name: "disallowed step refused", user: "alice", body: "/rollout prompt-01 30%", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_step.md"},
		{name: "0% points at /rollback", user: "alice", body: "/rollout prompt-01 0%", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_step_zero.md"},
		{name: "unknown flag refused", user: "alice", body: "/rollout nope 25%", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_flag.md"},
		{name: "team allow-list refuses", yaml: baseYAML + "  teams: [release-managers]\n", user: "alice", body: "/rollout prompt-01 25", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "refused_team.md"},
		{name: "team allow-list admits", yaml: baseYAML + "  teams: [other/ops, release-managers]\n", user: "alice", body: "/rollout prompt-01 25", setPct: 25,
			prepare:   func(gh *ghfake.Server) { gh.TeamMembers["Codertocat/release-managers"] = []string{"alice"} },
			reactions: []string{"eyes", "rocket"}, golden: "rollout_team.md"},
		{name: "already there", user: "alice", body: "/rollout prompt-01 5", setPct: -1,
			reactions: []string{"eyes", "rocket"}, golden: "rollout_noop.md"},
		{name: "status", user: "rob", body: "/rollout prompt-01 status", setPct: -1,
			reactions: []string{"eyes", "rocket"}, golden: "status.md"},
		{name: "help", user: "rob", body: "/promptgate help", setPct: -1,
			reactions: []string{"eyes", "rocket"}, golden: "help.md"},
		{name: "malformed", user: "alice", body: "/rollout prompt-01 lots", setPct: -1,
			reactions: []string{"eyes", "confused"}, golden: "malformed.md"},
		// A failed job gives its 👀 claim back, so that a redelivery after the fix runs.
		{name: "bad config on default branch", yaml: "rollout:\n  stepz: [1]\n", user: "alice", body: "/rollout prompt-01 25", setPct: -1,
			reactions: []string{"confused"}, golden: "bad_config.md"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, tt.yaml)
			if tt.prepare != nil {
				tt.prepare(gh)
			}
			before := gh.File("main", flagsPath)
			s := &Service{}
			req := request(gh, tt.user, tt.body)
			_ = s.Handle(context.Background(), gh.Client(), req, quiet())

			puts := gh.Count("PUT", "/repos/Codertocat/Hello-World/contents/")
			if tt.setPct >= 0 {
				if puts != 1 {
					t.Fatalf("PUTs = %d, want exactly 1", puts)
				}
				want, _, _, err := flagd.SetRollout(before, flagd.JSON, "prompt-01", tt.setPct)
				if err != nil {
					t.Fatal(err)
				}
				c := gh.Commits()[0]
				if diff := cmp.Diff(string(want), string(c.Content)); diff != "" {
					t.Errorf("committed content (-want +got):\n%s", diff)
				}
				if c.Branch != "main" || c.Path != flagsPath {
					t.Errorf("committed to %s:%s", c.Branch, c.Path)
				}
				if !strings.Contains(c.Message, "prompt-01 5% → ") || !strings.Contains(c.Message, "@"+tt.user) || !strings.Contains(c.Message, "#7") {
					t.Errorf("commit message %q must name flag, old → new, PR and commenter", c.Message)
				}
			} else if puts != 0 {
				t.Errorf("PUTs = %d, want none", puts)
			}
			comments := gh.Comments()
			if len(comments) != 1 || comments[0].Issue != 7 {
				t.Fatalf("comments = %+v, want one reply on #7", comments)
			}
			golden.Assert(t, tt.golden, comments[0].Body)
			var reacted []string
			for _, r := range gh.Reactions() {
				if r.CommentID != req.CommentID {
					t.Errorf("reaction on comment %d", r.CommentID)
				}
				reacted = append(reacted, r.Content)
			}
			if diff := cmp.Diff(tt.reactions, reacted); diff != "" {
				t.Errorf("reactions (-want +got):\n%s", diff)
			}
			for _, read := range gh.Reads() {
				if read.Ref != "main" {
					t.Errorf("read %s at %q, want only the default branch main (never the PR head)", read.Path, read.Ref)
				}
			}
		})
	}
}

func TestNoCommandNoCalls(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	s := &Service{}
	if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "LGTM, see docs/rollout please\n> /rollout x 5"), quiet()); err != nil {
		t.Fatal(err)
	}
	if calls := gh.Calls(); len(calls) != 0 {
		t.Errorf("a comment without commands made calls: %v", calls)
	}
}

// TestConcurrentRolloutsLoseNoUpdate runs 20 commands on 20 flags of one file at
// once while the fake answers 409 to every first PUT.
func TestConcurrentRolloutsLoseNoUpdate(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	gh.ConflictFirstPut = true
	s := &Service{Backoff: func(int) time.Duration { return time.Millisecond }}
	var wg sync.WaitGroup
	for i := 1; i <= 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := requestID(gh, int64(1000+i), "alice", fmt.Sprintf("/rollout prompt-%02d 25%%", i))
			if err := s.Handle(context.Background(), gh.Client(), req, quiet()); err != nil {
				t.Errorf("prompt-%02d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	final := gh.File("main", flagsPath)
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("prompt-%02d", i)
		sp, err := flagd.ReadSplit(final, flagd.JSON, name)
		if err != nil || sp.RolloutPct != 25 {
			t.Errorf("%s: split %+v, err %v; want 25%%", name, sp, err)
		}
	}
	if n := len(gh.Commits()); n != 20 {
		t.Errorf("commits = %d, want 20", n)
	}
	if n := gh.Count("PUT", "/repos/"); n != 40 {
		t.Errorf("PUTs = %d, want 40 (one 409 and one success each)", n)
	}
	if err := flagd.Validate(final, flagd.JSON); err != nil {
		t.Errorf("final file invalid: %v", err)
	}
}

// TestStaleShaRereads makes another writer commit between the App's read and its
// PUT: the retry must re-read and keep both changes.
func TestStaleShaRereads(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	gh.ConflictFirstPut = true
	gh.ConflictMutate = func(doc []byte) []byte {
		out, _, _, err := flagd.SetRollout(doc, flagd.JSON, "prompt-20", 50)
		if err != nil {
			t.Errorf("mutate: %v", err)
		}
		return out
	}
	s := &Service{Backoff: func(int) time.Duration { return 0 }}
	if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout prompt-01 25"), quiet()); err != nil {
		t.Fatal(err)
	}
	final := gh.File("main", flagsPath)
	for name, want := range map[string]int{"prompt-01": 25, "prompt-20": 50} {
		if sp, err := flagd.ReadSplit(final, flagd.JSON, name); err != nil || sp.RolloutPct != want {
			t.Errorf("%s = %+v (%v), want %d%%", name, sp, err, want)
		}
	}
}

func TestRetriesAreBounded(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	gh.ConflictFirstPut = true
	// The first PUT is answered 409 and MaxAttempts 1 forbids the retry.
	s := &Service{MaxAttempts: 1}
	err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout prompt-01 25"), quiet())
	if err == nil || !strings.Contains(err.Error(), "attempt 1") {
		t.Errorf("err = %v, want a commit failure after 1 attempt", err)
	}
	if c := gh.Comments(); len(c) != 1 || !strings.Contains(c[0].Body, "failed") {
		t.Errorf("reply = %+v, want a failure reply", c)
	}
}

func TestStatusListsChanges(t *testing.T) {
	t.Parallel()
	gh := setup(t, baseYAML)
	s := &Service{}
	ctx := context.Background()
	for _, body := range []string{"/rollout prompt-01 10", "/rollout prompt-01 25", "/rollout prompt-01 status"} {
		if err := s.Handle(ctx, gh.Client(), request(gh, "alice", body), quiet()); err != nil {
			t.Fatal(err)
		}
	}
	c := gh.Comments()
	golden.Assert(t, "status_history.md", c[len(c)-1].Body)
	listings := 0
	for _, call := range gh.Calls() {
		if call == "GET /repos/Codertocat/Hello-World/commits" {
			listings++
		}
	}
	if listings != 1 {
		t.Errorf("commit listings = %d, want 1", listings)
	}
}
