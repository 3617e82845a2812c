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

// zeroFlags is guardedFlags with both flags at 0%.
var zeroFlags = strings.ReplaceAll(guardedFlags, `["stable", 95], ["canary", 5]`, `["stable", 100], ["canary", 0]`)

// unreachableYAML configures analysis against a port nobody listens on, so
// every analysis is inconclusive.
const unreachableYAML = baseYAML + "  interval: 1m\n  prometheus_url: http://127.0.0.1:1\n  analysis:\n" +
	"    - {name: error_rate, query: 'errors{variant=\"{{variant}}\"}', max: 0.05}\n"

func autoOf(t *testing.T, gh *ghfake.Server, flag string) (autoState, int) {
	t.Helper()
	doc := gh.File("main", flagsPath)
	md, err := flagd.ReadMeta(doc, flagd.JSON, flag)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := flagd.ReadSplit(doc, flagd.JSON, flag)
	if err != nil {
		t.Fatal(err)
	}
	return readAutoState(md), sp.RolloutPct
}

func fakeRepo(gh *ghfake.Server) Repo {
	return Repo{Owner: "Codertocat", Name: "Hello-World", DefaultBranch: "main", Client: gh.Client()}
}

// TestAutoCommandsWithFakeClock drives /rollout f auto, pause, resume and the
// steps with a hand-moved clock. Prometheus is unreachable, so every analysis
// is inconclusive: that counts as not passing, and two in a row roll back.
func TestAutoCommandsWithFakeClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	type step struct {
		comment  string        // a command, or "" for a tick
		advance  time.Duration // clock move before it
		wantMode Mode
		wantPct  int
		wantFail int
		want     string // in the newest comment
		commits  int
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "inconclusive twice rolls back", steps: []step{
			{comment: "/rollout summarize auto", wantMode: ModeAuto, wantPct: 1, commits: 1,
				want: "rollout.analysis did not run: at 0% the canary has served nobody yet"},
			{advance: 30 * time.Second, wantMode: ModeAuto, wantPct: 1, commits: 1}, // not due yet
			{comment: "/rollout summarize status", wantMode: ModeAuto, wantPct: 1, commits: 1,
				want: "🤖 Automatic rollout: mode **auto**, last step 1%, last analysis none, 0 failed in a row, PR #7, next analysis at 2026-12-02T03:01:00Z."},
			{advance: 30 * time.Second, wantMode: ModeAuto, wantPct: 1, wantFail: 1, commits: 2,
				want: "holds at **1%**: rollout.analysis did not pass (1 of rollout.failure_limit 2)"},
			{advance: time.Minute, wantMode: ModeRolledBack, wantPct: 0, wantFail: 2, commits: 3,
				want: "Rolled back **summarize**: **1% → 0%**"},
			{advance: time.Hour, wantMode: ModeRolledBack, wantPct: 0, wantFail: 2, commits: 3},
		}},
		{name: "pause holds, resume carries on", steps: []step{
			{comment: "/rollout summarize auto", wantMode: ModeAuto, wantPct: 1, commits: 1},
			{comment: "/rollout summarize pause", wantMode: ModePaused, wantPct: 1, commits: 2, want: "⏸️ Paused"},
			{advance: time.Hour, wantMode: ModePaused, wantPct: 1, commits: 2},
			{comment: "/rollout summarize pause", wantMode: ModePaused, wantPct: 1, commits: 2, want: "is not in an automatic rollout (mode `paused`)"},
			{comment: "/rollout summarize resume", wantMode: ModeAuto, wantPct: 1, commits: 3, want: "▶️ Resumed"},
			{advance: time.Minute, wantMode: ModeAuto, wantPct: 1, wantFail: 1, commits: 4, want: "holds at"},
		}},
		{name: "manual rollout and rollback end auto mode", steps: []step{
			{comment: "/rollout summarize auto", wantMode: ModeAuto, wantPct: 1, commits: 1},
			{comment: "/rollout summarize auto", wantMode: ModeAuto, wantPct: 1, commits: 1, want: "already in an automatic rollout"},
			{comment: "/rollback summarize", wantMode: ModeOff, wantPct: 0, commits: 2, want: "This ends the automatic rollout of `summarize`."},
			{advance: time.Hour, wantMode: ModeOff, wantPct: 0, commits: 2},
			{comment: "/rollout summarize resume", wantMode: ModeOff, wantPct: 0, commits: 2, want: "has no paused automatic rollout"},
		}},
		{name: "a reader cannot start it", steps: []step{
			{comment: "/rollout summarize auto by rob", commits: 0, want: "refused by rule **rollout.min_permission**"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh := setup(t, unreachableYAML)
			gh.SetFile("main", flagsPath, []byte(zeroFlags))
			clk := testkit.NewClock(start)
			s := &Service{Now: clk.Now}
			d := NewDriver(s, quiet())
			for i, st := range tt.steps {
				clk.Advance(st.advance)
				if st.comment != "" {
					user := "alice"
					body, by, ok := strings.Cut(st.comment, " by ")
					if ok {
						user = by
					}
					req := request(gh, user, body)
					req.CreatedAt = clk.Now() // written just now on the test's clock
					if err := s.Handle(context.Background(), gh.Client(), req, quiet()); err != nil {
						t.Fatal(err)
					}
				} else {
					d.Sweep(context.Background())
				}
				if got := len(gh.Commits()); got != st.commits {
					t.Fatalf("step %d: commits = %d, want %d", i, got, st.commits)
				}
				if st.want != "" {
					c := gh.Comments()
					if last := c[len(c)-1].Body; !strings.Contains(last, st.want) {
						t.Errorf("step %d: last comment lacks %q:\n%s", i, st.want, last)
					}
				}
				if st.commits == 0 {
					continue
				}
				got, pct := autoOf(t, gh, "summarize")
				if diff := cmp.Diff([]any{st.wantMode, st.wantPct, st.wantFail}, []any{got.Mode, pct, got.Failures}); diff != "" {
					t.Errorf("step %d: mode, pct, failures (-want +got):\n%s", i, diff)
				}
				if got.Mode == ModeAuto && got.PR != 7 {
					t.Errorf("step %d: PR = %d, want 7", i, got.PR)
				}
			}
		})
	}
}

// TestAutoStepLosesRaceToAnotherReplica: while this replica commits a step,
// another one commits the same step first. The loser's PUT gets 409; it
// re-reads, finds the state moved on, and neither commits nor comments.
func TestAutoStepLosesRaceToAnotherReplica(t *testing.T) {
	t.Parallel()
	gh := setup(t, unreachableYAML)
	gh.SetFile("main", flagsPath, []byte(zeroFlags))
	clk := testkit.NewClock(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	s := &Service{Now: clk.Now, Backoff: func(int) time.Duration { return 0 }}
	if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout summarize auto"), quiet()); err != nil {
		t.Fatal(err)
	}
	st, _ := autoOf(t, gh, "summarize")
	winner := st
	winner.Failures, winner.Verdict, winner.Next = 1, "inconclusive", st.Next.Add(time.Minute)
	gh.ConflictFirstPut = true
	gh.ConflictMutate = func(doc []byte) []byte {
		out, _, _, err := flagd.Edit(doc, flagd.JSON, "summarize", flagd.KeepSplit, winner.meta())
		if err != nil {
			t.Error(err)
		}
		return out
	}
	clk.Advance(time.Minute)
	if _, err := s.Tick(context.Background(), fakeRepo(gh), quiet()); err != nil {
		t.Fatal(err)
	}
	if n := len(gh.Commits()); n != 1 {
		t.Errorf("commits = %d, want only the start: the other replica's step is not taken again", n)
	}
	if n := len(gh.Comments()); n != 1 {
		t.Errorf("comments = %d, want only the reply to the command", n)
	}
	if got, _ := autoOf(t, gh, "summarize"); got != winner {
		t.Errorf("state = %+v, want the winner's %+v", got, winner)
	}
	if n := gh.Count("PUT", "/repos/Codertocat/Hello-World/contents/"); n != 2 {
		t.Errorf("PUTs = %d, want the start and the one that lost", n)
	}
}

// FuzzReadAutoState reads any metadata values as auto state: it never panics,
// keeps only known modes and verdicts and sane numbers, and the state it
// reads survives a write to a flags file and a read back.
func FuzzReadAutoState(f *testing.F) {
	f.Add("auto", 10.0, 1.0, "pass", 7.0, "2026-12-02T03:00:00Z")
	f.Add("rolled-back", -1.0, 1e12, "`@x`", 0.5, "tomorrow")
	f.Fuzz(func(t *testing.T, mode string, step, failures float64, verdict string, pr float64, next string) {
		st := readAutoState(map[string]any{metaMode: mode, metaStep: step, metaFailures: failures,
			metaVerdict: verdict, metaPR: pr, metaNext: next})
		if st.Mode != "" && readAutoState(map[string]any{metaMode: string(st.Mode)}).Mode != st.Mode {
			t.Fatalf("mode %q not kept", st.Mode)
		}
		for _, n := range []int{st.Step, st.Failures, st.PR} {
			if n < 0 || n > 1e9 {
				t.Fatalf("number %d out of range", n)
			}
		}
		if strings.ContainsAny(st.line(), "`<>[]") && !strings.Contains(st.line(), "\\") {
			t.Fatalf("unescaped status line %q", st.line())
		}
		out, _, _, err := flagd.Edit([]byte(zeroFlags), flagd.JSON, "summarize", flagd.KeepSplit, st.meta())
		if err != nil {
			t.Fatal(err)
		}
		md, err := flagd.ReadMeta(out, flagd.JSON, "summarize")
		if err != nil {
			t.Fatal(err)
		}
		if back := readAutoState(md); back != st {
			t.Fatalf("state %+v read back as %+v", st, back)
		}
	})
}

// TestAutoInYAMLFlagsFile runs an automatic rollout to its rollback in a YAML
// flags file: comments and the other flag stay as they were, and every
// version validates.
func TestAutoInYAMLFlagsFile(t *testing.T) {
	t.Parallel()
	const path = "flags/prompts.flagd.yaml"
	gh := setup(t, strings.Replace(unreachableYAML, flagsPath, path, 1))
	gh.SetFile("main", path, []byte(yamlFlags))
	clk := testkit.NewClock(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	s := &Service{Now: clk.Now}
	d := NewDriver(s, quiet())
	if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollout summarize auto"), quiet()); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clk.Advance(time.Minute)
		d.Sweep(context.Background())
	}
	commits := gh.Commits()
	if len(commits) != 3 {
		t.Fatalf("commits = %d, want start, hold, rollback", len(commits))
	}
	for i, c := range commits {
		if err := flagd.Validate(c.Content, flagd.YAML); err != nil {
			t.Errorf("commit %d does not validate: %v", i, err)
		}
		if !strings.HasPrefix(string(c.Content), "# prompts served through OpenFeature\n") ||
			!strings.Contains(string(c.Content), "  fresh:\n    state: ENABLED\n    variants: {stable: fresh, candidate: fresh.v2}\n") {
			t.Errorf("commit %d lost the comment or changed the other flag:\n%s", i, c.Content)
		}
	}
	md, err := flagd.ReadMeta(commits[2].Content, flagd.YAML, "summarize")
	if err != nil {
		t.Fatal(err)
	}
	if st := readAutoState(md); st.Mode != ModeRolledBack || st.Failures != 2 {
		t.Errorf("state = %+v, want rolled back after 2", st)
	}
	if sp, _ := flagd.ReadSplit(commits[2].Content, flagd.YAML, "summarize"); sp.RolloutPct != 0 || !sp.HasFractional {
		t.Errorf("split = %+v, want 0%%", sp)
	}
}

// TestAutoStepFinishesOnShutdown: a shutdown that begins while a decided step
// is being committed still lets the step post its PR comment; a step is never
// committed with nobody told.
func TestAutoStepFinishesOnShutdown(t *testing.T) {
	t.Parallel()
	gh := setup(t, unreachableYAML)
	gh.SetFile("main", flagsPath, []byte(zeroFlags))
	clk := testkit.NewClock(time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC))
	s := &Service{Now: clk.Now}
	d := NewDriver(s, quiet())
	req := request(gh, "alice", "/rollout summarize auto")
	req.CreatedAt = clk.Now()
	if err := s.Handle(context.Background(), gh.Client(), req, quiet()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	gh.OnPut = cancel // the server begins to stop as the step's commit goes out
	d.Sweep(ctx)
	if n := len(gh.Commits()); n != 2 {
		t.Fatalf("commits = %d, want 2 (the start and the held step)", n)
	}
	c := gh.Comments()
	if len(c) != 2 || !strings.Contains(c[1].Body, "holds at **1%**") {
		t.Errorf("comments = %+v, want the start's reply and the step's", c)
	}
}
