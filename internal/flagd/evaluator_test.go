package flagd

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/open-feature/flagd/core/pkg/evaluator"
	"github.com/open-feature/flagd/core/pkg/logger"
	"github.com/open-feature/flagd/core/pkg/store"
	flagdsync "github.com/open-feature/flagd/core/pkg/sync"
	"github.com/open-feature/flagd/core/pkg/utils"
)

// TestFlagdServesRolloutShare loads edited files into flagd's own evaluator
// (github.com/open-feature/flagd/core, the code flagd serves with) and checks
// that the rollout variant reaches pct% of 10,000 targeting keys, ±2 points.
func TestFlagdServesRolloutShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		flag string
		pct  int
	}{
		{"json_basic.json", "summarize", 25}, // bucketing on {"var": "targetingKey"}
		{"json_basic.json", "translate", 25}, // shorthand: flag key + targeting key
		{"json_insert.json", "summarize", 25},
		{"json_insert.json", "summarize", 1},
		{"json_crlf_tabs.json", "summarize", 50},
		{"yaml_comments.yaml", "summarize", 10}, // custom bucketing expression
		{"yaml_insert.yaml", "summarize", 25},
		{"yaml_crlf.yaml", "summarize", 100},
		{"yaml_crlf.yaml", "summarize", 0},
	}
	for _, tt := range tests {
		// Not parallel: flagd's evaluator registers its operators in a
		// package-level map each time one is built.
		t.Run(fmt.Sprintf("%s/%s/%d", tt.file, tt.flag, tt.pct), func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join("testdata", "edit", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f := FormatForPath(tt.file)
			out, _, after, err := SetRollout(in, f, tt.flag, tt.pct)
			if err != nil {
				t.Fatalf("SetRollout: %v", err)
			}
			share := flagdShare(t, out, f, tt.flag, after.Rollout, after.Stable)
			if math.Abs(share-float64(tt.pct)) > 2 {
				t.Errorf("flagd served the rollout variant to %.2f%% of keys, want %d%% ± 2", share, tt.pct)
			}
			t.Logf("rollout share %.2f%% (want %d%%)", share, tt.pct)
		})
	}
}

// flagdShare evaluates flag for 10,000 targeting keys with flagd's evaluator
// and returns the percentage that got the rollout variant. Every key must get
// either the rollout or the stable variant.
func flagdShare(t *testing.T, doc []byte, f Format, flag, rollout, stable string) float64 {
	t.Helper()
	data := string(doc)
	if f == YAML {
		var err error
		if data, err = utils.YAMLToJSON(doc); err != nil { // flagd's own conversion
			t.Fatalf("flagd YAML conversion: %v", err)
		}
	}
	ev := evaluator.NewJSON(logger.NewLogger(nil, false), store.NewFlags())
	if _, _, err := ev.SetState(flagdsync.DataSync{FlagData: data, Source: "test"}); err != nil {
		t.Fatalf("flagd refused the edited file: %v", err)
	}
	const keys = 10000
	hits := 0
	for i := range keys {
		key := fmt.Sprintf("user-%d", i)
		ctx := map[string]any{"targetingKey": key, "email": key + "@example.com"}
		got := ev.ResolveAsAnyValue(context.Background(), "test", flag, ctx)
		variant, err := got.Variant, got.Error
		if err != nil {
			t.Fatalf("flagd evaluation of %q for %s: %v", flag, key, err)
		}
		switch variant {
		case rollout:
			hits++
		case stable:
		default:
			t.Fatalf("flagd served unexpected variant %q to %s", variant, key)
		}
	}
	return 100 * float64(hits) / keys
}
