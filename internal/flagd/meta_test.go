package flagd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

var autoState = []Meta{
	{"promptgateMode", "auto"}, {"promptgateStep", 10}, {"promptgateFailures", 0},
	{"promptgateVerdict", "pass"}, {"promptgatePR", 7}, {"promptgateNext", "2026-12-02T03:00:00Z"},
	{"promptgateCanary", true},
}

// TestEditMetaGolden sets the auto-rollout state, with and without a new
// share, in files whose metadata exists, is empty or is missing. Every line of
// the original that the edit drops must be one it had to change.
func TestEditMetaGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file    string
		pct     int
		wantPct int
		dropped []string // the only original lines allowed to change
	}{
		{file: "json_existing.json", pct: 10, wantPct: 10,
			dropped: []string{`"targeting": {"fractional": [["stable", 95], ["canary", 5]]},`, `"promptgateStep": 5`}},
		{file: "json_none.json", pct: 1, wantPct: 1, dropped: []string{`"defaultVariant": "stable"`}},
		{file: "json_none.json", pct: KeepSplit, wantPct: 0, dropped: []string{`"defaultVariant": "stable"`}},
		{file: "json_empty.json", pct: KeepSplit, wantPct: 1, dropped: []string{`"metadata": {}}}}`}},
		{file: "yaml_existing.yaml", pct: 25, wantPct: 25,
			dropped: []string{"- [stable, 95]", "- [canary, 5]", "promptgateStep: 5"}},
		{file: "yaml_none.yaml", pct: 5, wantPct: 5},
		{file: "yaml_none.yaml", pct: KeepSplit, wantPct: 0},
		{file: "yaml_empty.yaml", pct: 0, wantPct: 0, dropped: []string{"- [stable, 90]", "- [canary, 10]", "metadata: {}"}},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s_%03d%s", strings.TrimSuffix(tt.file, filepath.Ext(tt.file)), tt.pct, filepath.Ext(tt.file))
		if tt.pct == KeepSplit {
			name = strings.TrimSuffix(tt.file, filepath.Ext(tt.file)) + "_keep" + filepath.Ext(tt.file)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in, err := os.ReadFile(filepath.Join("testdata", "meta", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f := FormatForPath(tt.file)
			out, _, after, err := Edit(in, f, "summarize", tt.pct, autoState)
			if err != nil {
				t.Fatalf("Edit: %v", err)
			}
			if after.RolloutPct != tt.wantPct {
				t.Errorf("after = %d%%, want %d%%", after.RolloutPct, tt.wantPct)
			}
			golden.Assert(t, "meta_"+name, out)
			outLines := map[string]bool{}
			for _, l := range strings.Split(string(out), "\n") {
				outLines[l] = true
			}
			for _, l := range strings.Split(string(in), "\n") {
				if !outLines[l] && !containsAny(l, tt.dropped) {
					t.Errorf("line %q of the original is gone", l)
				}
			}
			md, err := ReadMeta(out, f, "summarize")
			if err != nil {
				t.Fatal(err)
			}
			for _, kv := range autoState {
				if diff := cmp.Diff(kv.semantic(), md[kv.Key]); diff != "" {
					t.Errorf("metadata.%s (-want +got):\n%s", kv.Key, diff)
				}
			}
			if err := Validate(out, f); err != nil {
				t.Errorf("edited file is not valid: %v", err)
			}
			again, _, _, err := Edit(out, f, "summarize", tt.pct, autoState)
			if err != nil || !bytes.Equal(again, out) {
				t.Errorf("re-applying the same state changed the file (%v):\n%s", err, cmp.Diff(string(out), string(again)))
			}
		})
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func TestEditMetaErrors(t *testing.T) {
	t.Parallel()
	flow := "flags:\n  f: {state: ENABLED, variants: {a: 1, b: 2}, defaultVariant: a, metadata: {x: 1}}\n"
	tests := []struct {
		name, doc string
		f         Format
		meta      []Meta
		want      string
	}{
		{name: "nested value", doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`),
			meta: []Meta{{"k", []string{"x"}}}, want: "not a string, int or bool"},
		{name: "repeated key", doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`),
			meta: []Meta{{"k", 1}, {"k", 2}}, want: "empty or repeated"},
		{name: "flow metadata in YAML", doc: flow, f: YAML, meta: []Meta{{"y", 1}}, want: "block style"},
		{name: "missing flag", doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`),
			meta: []Meta{{"y", 1}}, want: "flag not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			flag := "f"
			if tt.name == "missing flag" {
				flag = "g"
			}
			out, _, _, err := Edit([]byte(tt.doc), tt.f, flag, KeepSplit, tt.meta)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Edit = %v, want error containing %q; output:\n%s", err, tt.want, out)
			}
		})
	}
}

// FuzzEditMeta sets one metadata value (with or without a new share) in any
// document: it must never panic, and an edit it returns must validate, read
// back with the value set and leave every other flag as it was.
func FuzzEditMeta(f *testing.F) {
	addSeeds(f, func(doc []byte, isYAML bool) { f.Add(doc, isYAML, "promptgateStep", "5", -1) })
	for _, name := range []string{"json_existing.json", "json_none.json", "json_empty.json", "yaml_existing.yaml", "yaml_none.yaml", "yaml_empty.yaml"} {
		doc, err := os.ReadFile(filepath.Join("testdata", "meta", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(doc, FormatForPath(name) == YAML, "promptgateMode", "paused", 25)
	}
	f.Fuzz(func(t *testing.T, doc []byte, isYAML bool, key, value string, pct int) {
		if pct < KeepSplit || pct > 100 {
			return
		}
		fm := format(isYAML)
		var v any = value
		if n, err := strconv.Atoi(value); err == nil {
			v = n
		}
		out, _, after, err := Edit(doc, fm, "summarize", pct, []Meta{{key, v}})
		if err != nil {
			return
		}
		if err := Validate(out, fm); err != nil {
			t.Fatalf("edited file is not valid: %v\n%s", err, out)
		}
		md, err := ReadMeta(out, fm, "summarize")
		if err != nil || md[key] != (Meta{key, v}).semantic() {
			t.Fatalf("metadata.%s = %v (%v), want %v", key, md[key], err, v)
		}
		if pct != KeepSplit && pct > 0 && after.RolloutPct != pct {
			t.Fatalf("split = %d%%, want %d%%", after.RolloutPct, pct)
		}
		in, got := decode(t, doc, fm), decode(t, out, fm)
		inFlags, _ := in["flags"].(map[string]any)
		gotFlags, _ := got["flags"].(map[string]any)
		for name := range inFlags {
			if name != "summarize" && !cmp.Equal(inFlags[name], gotFlags[name]) {
				t.Fatalf("flag %q changed", name)
			}
		}
	})
}
