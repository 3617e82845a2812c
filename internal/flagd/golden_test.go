package flagd

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

// TestSetRolloutGolden edits real-looking files and compares the result byte
// for byte with testdata/golden. It also proves the diff is minimal without
// trusting the golden file: a weight edit may only change digits, and an
// insertion must leave the original bytes intact around one inserted run.
func TestSetRolloutGolden(t *testing.T) {
	tests := []struct {
		file   string
		flag   string
		pct    int
		insert bool
		before Split
	}{
		{file: "json_basic.json", flag: "summarize", pct: 10,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate", RolloutPct: 25, HasFractional: true}},
		{file: "json_crlf_tabs.json", flag: "summarize", pct: 5,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate", RolloutPct: 25, HasFractional: true}},
		{file: "json_insert.json", flag: "summarize", pct: 5, insert: true,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate"}},
		{file: "json_insert_inline.json", flag: "inline", pct: 50, insert: true,
			before: Split{Flag: "inline", Stable: "off", Rollout: "on"}},
		{file: "json_empty_targeting.json", flag: "summarize", pct: 1, insert: true,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate"}},
		{file: "json_rollout_variant.json", flag: "summarize", pct: 100,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "experiment", RolloutPct: 1, HasFractional: true}},
		{file: "yaml_comments.yaml", flag: "summarize", pct: 25,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate", RolloutPct: 10, HasFractional: true}},
		{file: "yaml_crlf.yaml", flag: "summarize", pct: 0,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate", RolloutPct: 50, HasFractional: true}},
		{file: "yaml_insert.yaml", flag: "summarize", pct: 10, insert: true,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate"}},
		{file: "yaml_insert_quoted.yaml", flag: "yes-no", pct: 25, insert: true,
			before: Split{Flag: "yes-no", Stable: "no", Rollout: "yes"}},
		{file: "yaml_insert_middle.yaml", flag: "first", pct: 25, insert: true,
			before: Split{Flag: "first", Stable: "stable", Rollout: "candidate"}},
		{file: "yaml_insert_eof.yaml", flag: "summarize", pct: 5, insert: true,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate"}},
		{file: "yaml_empty_targeting.yaml", flag: "summarize", pct: 50, insert: true,
			before: Split{Flag: "summarize", Stable: "stable", Rollout: "candidate"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", "edit", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f := FormatForPath(tt.file)
			out, before, after, err := SetRollout(in, f, tt.flag, tt.pct)
			if err != nil {
				t.Fatalf("SetRollout: %v", err)
			}
			if diff := cmp.Diff(tt.before, before); diff != "" {
				t.Errorf("before split (-want +got):\n%s", diff)
			}
			wantAfter := tt.before
			wantAfter.RolloutPct, wantAfter.HasFractional = tt.pct, true
			if diff := cmp.Diff(wantAfter, after); diff != "" {
				t.Errorf("after split (-want +got):\n%s", diff)
			}

			golden.Assert(t, tt.file, out)

			if tt.insert {
				assertSingleInsertion(t, in, out)
			} else {
				assertOnlyDigitsChanged(t, in, out)
			}
			if err := Validate(out, f); err != nil {
				t.Errorf("edited file is not valid: %v", err)
			}
			// Setting the same split again must be a byte-for-byte no-op.
			again, _, _, err := SetRollout(out, f, tt.flag, tt.pct)
			if err != nil {
				t.Fatalf("second SetRollout: %v", err)
			}
			if !bytes.Equal(again, out) {
				t.Errorf("re-applying %d%% changed the file:\n%s", tt.pct, cmp.Diff(string(out), string(again)))
			}
		})
	}
}

var digits = regexp.MustCompile(`[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`)

// assertOnlyDigitsChanged fails unless in and out are identical once every
// number is masked, i.e. nothing but number tokens changed.
func assertOnlyDigitsChanged(t *testing.T, in, out []byte) {
	t.Helper()
	mask := func(b []byte) string { return digits.ReplaceAllString(string(b), "N") }
	if diff := cmp.Diff(mask(in), mask(out)); diff != "" {
		t.Errorf("edit changed more than number tokens (-in +out):\n%s", diff)
	}
	if bytes.Equal(in, out) {
		t.Errorf("edit changed nothing")
	}
}

// assertSingleInsertion fails unless out is in with one run of bytes inserted
// (or, for an empty {} targeting, one replaced).
func assertSingleInsertion(t *testing.T, in, out []byte) {
	t.Helper()
	p := 0
	for p < len(in) && p < len(out) && in[p] == out[p] {
		p++
	}
	s := 0
	for s < len(in)-p && s < len(out)-p && in[len(in)-1-s] == out[len(out)-1-s] {
		s++
	}
	removed := in[p : len(in)-s]
	if len(bytes.Trim(removed, "{} \t")) != 0 {
		t.Errorf("insertion removed %q from the original", removed)
	}
	if len(out) <= len(in) {
		t.Errorf("insertion added nothing")
	}
}
