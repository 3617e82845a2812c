package rollout

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/open-feature/flagd/core/pkg/evaluator"
	"github.com/open-feature/flagd/core/pkg/logger"
	"github.com/open-feature/flagd/core/pkg/store"
	flagdsync "github.com/open-feature/flagd/core/pkg/sync"
	"github.com/open-feature/flagd/core/pkg/utils"

	"github.com/promptgate/promptgate/internal/flagd"
)

// yamlFlags has a flag that was never rolled out: /rollout must insert the
// fractional rule, and flagd must then serve it.
const yamlFlags = `# prompts served through OpenFeature
flags:
  summarize:
    state: ENABLED
    variants:
      stable: summarize
      candidate: summarize.v2
    defaultVariant: stable
  fresh:
    state: ENABLED
    variants: {stable: fresh, candidate: fresh.v2}
    defaultVariant: stable
`

// TestRolloutRoundTripThroughFlagd takes the flags file the App committed to the
// fake and evaluates it with flagd's own evaluator (github.com/open-feature/flagd/core)
// for 10,000 targeting keys: /rollout f 25 must serve the rollout variant to
// 25% ± 2 of them, and /rollback f to none.
func TestRolloutRoundTripThroughFlagd(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, path, flag string
	}{
		{"JSON, existing split", flagsPath, "prompt-01"},
		{"YAML, split inserted", "flags/prompts.flagd.yaml", "summarize"},
	}
	// Sequential: flagd's evaluator registers its operators in a package-level
	// map each time one is built.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gh := setup(t, "rollout:\n  flags_file: "+tt.path+"\n")
			if strings.HasSuffix(tt.path, ".yaml") {
				gh.SetFile("main", tt.path, []byte(yamlFlags))
			}
			s := &Service{}
			steps := []struct {
				command string
				pct     int
			}{
				{"/rollout " + tt.flag + " 25%", 25},
				{"/rollback " + tt.flag, 0},
			}
			for i, st := range steps {
				if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", st.command), quiet()); err != nil {
					t.Fatalf("%s: %v", st.command, err)
				}
				commits := gh.Commits()
				if len(commits) != i+1 {
					t.Fatalf("%s: commits = %d, want %d; replies %+v", st.command, len(commits), i+1, gh.Comments())
				}
				doc := gh.File("main", tt.path)
				share := flagdShare(t, doc, flagd.FormatForPath(tt.path), tt.flag)
				if math.Abs(share-float64(st.pct)) > 2 || st.pct == 0 && share != 0 {
					t.Errorf("%s: flagd served the rollout variant to %.2f%% of keys, want %d%% ± 2", st.command, share, st.pct)
				}
				t.Logf("%s: flagd share %.2f%%", st.command, share)
			}
		})
	}
}

// TestRollbackOfFlagNeverRolledOut: the flag already sends every key to stable,
// so /rollback answers that it is at 0% and commits nothing.
func TestRollbackOfFlagNeverRolledOut(t *testing.T) {
	t.Parallel()
	const path = "flags/prompts.flagd.yaml"
	gh := setup(t, "rollout:\n  flags_file: "+path+"\n")
	gh.SetFile("main", path, []byte(yamlFlags))
	s := &Service{}
	if err := s.Handle(context.Background(), gh.Client(), request(gh, "alice", "/rollback fresh"), quiet()); err != nil {
		t.Fatal(err)
	}
	if n := gh.Count("PUT", "/repos/"); n != 0 {
		t.Errorf("PUTs = %d, want 0", n)
	}
	if c := gh.Comments(); len(c) != 1 || !strings.Contains(c[0].Body, "already at **0%**") {
		t.Errorf("reply = %+v, want one saying the flag is already at 0%%", c)
	}
	if got := string(gh.File("main", path)); got != yamlFlags {
		t.Errorf("flags file changed:\n%s", got)
	}
}

// flagdShare loads doc into flagd's evaluator and returns the percentage of
// 10,000 targeting keys that get a variant other than the default; every key
// must resolve without error.
var flagdMu sync.Mutex

func flagdShare(t *testing.T, doc []byte, f flagd.Format, flag string) float64 {
	t.Helper()
	data := string(doc)
	if f == flagd.YAML {
		var err error
		if data, err = utils.YAMLToJSON(doc); err != nil {
			t.Fatalf("flagd YAML conversion: %v", err)
		}
	}
	sp, err := flagd.ReadSplit(doc, f, flag)
	if err != nil {
		t.Fatal(err)
	}
	// flagd's evaluator registers its operators in a package-level map each
	// time one is built: one at a time across this package's parallel tests.
	flagdMu.Lock()
	defer flagdMu.Unlock()
	ev := evaluator.NewJSON(logger.NewLogger(nil, false), store.NewFlags())
	if _, _, err := ev.SetState(flagdsync.DataSync{FlagData: data, Source: "test"}); err != nil {
		t.Fatalf("flagd refused the committed file: %v", err)
	}
	const keys = 10000
	hits := 0
	for i := range keys {
		key := fmt.Sprintf("user-%d", i)
		got := ev.ResolveAsAnyValue(context.Background(), "test", flag, map[string]any{"targetingKey": key})
		if got.Error != nil {
			t.Fatalf("flagd evaluation of %q for %s: %v", flag, key, got.Error)
		}
		switch got.Variant {
		case sp.Rollout:
			hits++
		case sp.Stable:
		default:
			t.Fatalf("flagd served unexpected variant %q to %s", got.Variant, key)
		}
	}
	return 100 * float64(hits) / keys
}
