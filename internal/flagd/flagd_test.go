package flagd

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/diag"
)

func TestFormatForPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want Format
	}{
		{"flags/prompts.flagd.json", JSON},
		{"flags/prompts.flagd.yaml", YAML},
		{"flags/prompts.YML", YAML},
		{"flags/prompts", JSON},
		{"flags.yaml.bak", JSON},
	}
	for _, tt := range tests {
		if got := FormatForPath(tt.path); got != tt.want {
			t.Errorf("FormatForPath(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

// flagsJSON wraps one flag body into a flags file.
func flagsJSON(name, body string) string {
	return `{"flags": {"` + name + `": ` + body + `}}`
}

func TestReadSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		f    Format
		want Split
	}{
		{
			name: "no targeting means 0%",
			doc:  flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "b"},
		},
		{
			name: "empty targeting means 0%",
			doc:  flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {}}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "b"},
		},
		{
			name: "bucketing expression is skipped",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
				"targeting": {"fractional": [{"var": "email"}, ["a", 60], ["b", 40]]}}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "b", RolloutPct: 40, HasFractional: true},
		},
		{
			name: "weights are relative",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
				"targeting": {"fractional": [["b", 1], ["a", 2]]}}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "b", RolloutPct: 33, HasFractional: true},
		},
		{
			name: "omitted weight is 1",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a",
				"targeting": {"fractional": [["a"], ["b"]]}}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "b", RolloutPct: 50, HasFractional: true},
		},
		{
			name: "metadata picks among several variants",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2, "c": 3}, "defaultVariant": "a",
				"metadata": {"rolloutVariant": "c"}, "targeting": {"fractional": [["a", 80], ["c", 20]]}}`),
			want: Split{Flag: "f", Stable: "a", Rollout: "c", RolloutPct: 20, HasFractional: true},
		},
		{
			name: "yaml",
			f:    YAML,
			doc:  "flags:\n  f:\n    state: ENABLED\n    variants: {a: 1, b: 2}\n    defaultVariant: a\n    targeting:\n      fractional:\n        - [a, 995]\n        - [b, 5]\n",
			want: Split{Flag: "f", Stable: "a", Rollout: "b", RolloutPct: 1, HasFractional: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadSplit([]byte(tt.doc), tt.f, "f")
			if err != nil {
				t.Fatalf("ReadSplit: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetRolloutErrors(t *testing.T) {
	t.Parallel()
	good := flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`)
	tests := []struct {
		name     string
		doc      string
		f        Format
		flag     string
		pct      int
		wantErr  string // substring of the message
		wantLine int    // diag line, 0 when the error is not a *diag.Error
	}{
		{name: "flag missing", doc: good, flag: "nope", pct: 5, wantErr: `flag not found: "nope" (the flags file defines f)`},
		{name: "pct above 100", doc: good, flag: "f", pct: 150, wantErr: "outside 0..100"},
		{name: "pct negative", doc: good, flag: "f", pct: -1, wantErr: "outside 0..100"},
		{name: "no variants", flag: "f", pct: 5, wantErr: `flag "f" has no variants`, wantLine: 2,
			doc: "{\"flags\": {\n\"f\": {\"state\": \"ENABLED\", \"defaultVariant\": \"a\"}}}"},
		{name: "mixed variant types", flag: "f", pct: 5, wantErr: `mixes variant types ("a" is a number, "b" is a string)`, wantLine: 3,
			doc: "{\"flags\": {\"f\": {\"state\": \"ENABLED\", \"variants\": {\"a\": 1,\n\n\"b\": \"x\"}, \"defaultVariant\": \"a\"}}}"},
		{name: "only one variant", flag: "f", pct: 5, wantErr: `has only one variant ("a")`, wantLine: 1,
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "a"}`)},
		{name: "unknown stable variant", flag: "f", pct: 5, wantErr: `defaultVariant "c" is not one of its variants (a, b)`, wantLine: 3,
			doc: "{\"flags\": {\"f\": {\"state\": \"ENABLED\",\n\"variants\": {\"a\": 1, \"b\": 2},\n\"defaultVariant\": \"c\"}}}"},
		{name: "no default variant", flag: "f", pct: 5, wantErr: "has no defaultVariant",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": null}`)},
		{name: "ambiguous rollout variant", flag: "f", pct: 5, wantErr: "set metadata.rolloutVariant",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2, "c": 3}, "defaultVariant": "a"}`)},
		{name: "rolloutVariant unknown", flag: "f", pct: 5, wantErr: `metadata.rolloutVariant "z" is not one of its variants`,
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "metadata": {"rolloutVariant": "z"}}`)},
		{name: "rolloutVariant is the default", flag: "f", pct: 5, wantErr: "is the defaultVariant",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "metadata": {"rolloutVariant": "a"}}`)},
		{name: "other targeting rules", flag: "f", pct: 5, wantErr: "can't merge a rollout into them safely", wantLine: 2,
			doc: "{\"flags\": {\"f\": {\"state\": \"ENABLED\", \"variants\": {\"a\": 1, \"b\": 2}, \"defaultVariant\": \"a\",\n" +
				"\"targeting\": {\"if\": [{\"==\": [{\"var\": \"tier\"}, \"pro\"]}, \"b\", null]}}}}"},
		{name: "third variant in fractional", flag: "f", pct: 5, wantErr: "two-way splits only",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2, "c": 3}, "defaultVariant": "a", "metadata": {"rolloutVariant": "b"},
				"targeting": {"fractional": [["a", 50], ["b", 25], ["c", 25]]}}`)},
		{name: "duplicate bucket", flag: "f", pct: 5, wantErr: "two fractional buckets",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", 50], ["a", 25], ["b", 25]]}}`)},
		{name: "fractional weight", flag: "f", pct: 5, wantErr: "must be a whole number",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", 0.5], ["b", 0.5]]}}`)},
		{name: "negative weight", flag: "f", pct: 5, wantErr: "must be a whole number",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", -1], ["b", 2]]}}`)},
		{name: "weights sum to zero", flag: "f", pct: 5, wantErr: "add up to 0",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", 0], ["b", 0]]}}`)},
		{name: "bucket without weight", flag: "f", pct: 5, wantErr: `write it as ["b", 1]`,
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", 1], ["b"]]}}`)},
		{name: "fractional with one bucket", flag: "f", pct: 5, wantErr: "not a valid flagd flags file",
			doc: flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [{"var": "k"}, ["a", 1]]}}`)},
		{name: "duplicate JSON key", flag: "f", pct: 5, wantErr: `duplicate key "state"`, wantLine: 2,
			doc: "{\"flags\": {\"f\": {\"state\": \"ENABLED\",\n\"state\": \"ENABLED\", \"variants\": {\"a\": 1, \"b\": 2}, \"defaultVariant\": \"a\"}}}"},
		{name: "JSON syntax", flag: "f", pct: 5, wantErr: "invalid JSON", wantLine: 3,
			doc: "{\n\"flags\": {\n,}}"},
		{name: "schema violation", flag: "f", pct: 5, wantErr: "not a valid flagd flags file", wantLine: 2,
			doc: "{\"flags\": {\"f\":\n {\"state\": \"MAYBE\", \"variants\": {\"a\": 1, \"b\": 2}, \"defaultVariant\": \"a\"}}}"},
		{name: "empty file", flag: "f", pct: 5, wantErr: "flags file is empty", doc: " \n"},
		{name: "yaml merge keys", f: YAML, flag: "f", pct: 5, wantErr: "merge keys", wantLine: 6,
			doc: "base: &base\n  state: ENABLED\n  variants: {a: 1, b: 2}\nflags:\n  f:\n    <<: *base\n    defaultVariant: a\n"},
		{name: "yaml anchored weight", f: YAML, flag: "f", pct: 5, wantErr: "anchor or alias",
			doc: "flags:\n  f:\n    state: ENABLED\n    variants: {a: 1, b: 2}\n    defaultVariant: a\n    targeting:\n      fractional: [[a, &w 50], [b, *w]]\n"},
		{name: "yaml tagged weight", f: YAML, flag: "f", pct: 5, wantErr: "not a plain number",
			doc: "flags:\n  f:\n    state: ENABLED\n    variants: {a: 1, b: 2}\n    defaultVariant: a\n    targeting:\n      fractional: [[a, !!int 50], [b, 50]]\n"},
		{name: "yaml flow flag", f: YAML, flag: "f", pct: 5, wantErr: "flow style",
			doc: "flags:\n  f: {state: ENABLED, variants: {a: 1, b: 2}, defaultVariant: a}\n"},
		{name: "yaml syntax", f: YAML, flag: "f", pct: 5, wantErr: "invalid YAML", wantLine: 2,
			doc: "flags:\n  f: [\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, _, _, err := SetRollout([]byte(tt.doc), tt.f, tt.flag, tt.pct)
			if err == nil {
				t.Fatalf("SetRollout succeeded, want error containing %q; output:\n%s", tt.wantErr, out)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantErr)
			}
			var de *diag.Error
			if errors.As(err, &de) && de.Line != tt.wantLine && tt.wantLine != 0 {
				t.Errorf("error line = %d, want %d (%v)", de.Line, tt.wantLine, err)
			}
			if tt.wantLine != 0 && de == nil {
				t.Errorf("error %v is not a *diag.Error", err)
			}
		})
	}
}

func TestFlagNotFoundIsSentinel(t *testing.T) {
	t.Parallel()
	doc := []byte(flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`))
	if _, err := ReadSplit(doc, JSON, "g"); !errors.Is(err, ErrFlagNotFound) {
		t.Errorf("ReadSplit error = %v, want ErrFlagNotFound", err)
	}
	if _, _, _, err := SetRollout(doc, JSON, "g", 5); !errors.Is(err, ErrFlagNotFound) {
		t.Errorf("SetRollout error = %v, want ErrFlagNotFound", err)
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	doc := []byte("flags:\n  zeta: {state: ENABLED, variants: {a: 1}, defaultVariant: a}\n  alpha: {state: DISABLED, variants: {a: 1}, defaultVariant: a}\n")
	got, err := Flags(doc, YAML)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alpha", "zeta"}, got); diff != "" {
		t.Errorf("Flags (-want +got):\n%s", diff)
	}
	if _, err := Flags([]byte(`{"flags": 3}`), JSON); err == nil {
		t.Error("Flags accepted a document whose flags is a number")
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		doc     string
		f       Format
		wantErr string
	}{
		{name: "minimal", doc: `{"flags": {}}`},
		{name: "schema key and metadata", doc: `{"$schema": "https://flagd.dev/schema/v0/flags.json", "metadata": {"version": "1"}, "flags": {}}`},
		{name: "evaluators", doc: `{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"if": [{"$ref": "r"}, "b", "a"]}}}, "$evaluators": {"r": {"in": ["@example.com", {"var": "email"}]}}}`},
		{name: "targeting ref at top level", doc: `{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"$ref": "r"}}}, "$evaluators": {"r": {"in": ["@example.com", {"var": "email"}]}}}`, wantErr: "at '/flags/f/targeting'"},
		{name: "yaml with anchors", f: YAML, doc: "v: &v {a: 1, b: 2}\nflags:\n  f: {state: ENABLED, variants: *v, defaultVariant: a}\n"},
		{name: "bad state", doc: `{"flags": {"f": {"state": "ON", "variants": {"a": 1}, "defaultVariant": "a"}}}`, wantErr: "at '/flags/f/state'"},
		{name: "missing state", doc: `{"flags": {"f": {"variants": {"a": 1}, "defaultVariant": "a"}}}`, wantErr: "not a valid flagd flags file"},
		{name: "mixed variant types", doc: `{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1, "b": "x"}, "defaultVariant": "a"}}}`, wantErr: "mixes variant types"},
		{name: "bucket weight is a string", doc: `{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {"fractional": [["a", "50"], ["b", 50]]}}}}`, wantErr: "not a valid flagd"},
		{name: "default variant unknown", doc: `{"flags": {"f": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "b"}}}`, wantErr: "flagd refuses to load"},
		{name: "top-level array", doc: `[]`, wantErr: "must be a JSON object"},
		{name: "yaml top-level list", f: YAML, doc: "- a\n", wantErr: "invalid YAML"},
		{name: "yaml NaN", f: YAML, doc: "flags: {}\nx: .nan\n", wantErr: "cannot be converted to JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Validate([]byte(tt.doc), tt.f)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Errorf("Validate accepted it, want error containing %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("Validate error = %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestInFile(t *testing.T) {
	t.Parallel()
	_, err := ReadSplit([]byte("{\n\"flags\": {\n,}}"), JSON, "f")
	got := InFile(err, "flags/prompts.flagd.json").Error()
	if !strings.HasPrefix(got, "flags/prompts.flagd.json:3: invalid JSON") {
		t.Errorf("InFile = %q, want it to start with the file and line", got)
	}
	plain := errors.New("boom")
	if InFile(plain, "x") != plain {
		t.Error("InFile changed an error that carries no diagnostic")
	}
}

// TestValidateFlagdSchemaSuite runs Validate over flagd's own schema test
// files (copied into testdata/schema) and expects flagd's verdicts.
func TestValidateFlagdSchemaSuite(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"positive", "negative"} {
		files, err := filepath.Glob(filepath.Join("testdata", "schema", dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no schema test files in %s: %v", dir, err)
		}
		for _, file := range files {
			t.Run(dir+"/"+filepath.Base(file), func(t *testing.T) {
				t.Parallel()
				doc, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				err = Validate(doc, JSON)
				if dir == "positive" && err != nil {
					t.Errorf("Validate rejected a file flagd's schema accepts: %v", err)
				}
				if dir == "negative" && err == nil {
					t.Errorf("Validate accepted a file flagd's schema rejects")
				}
				t.Logf("%v", err)
			})
		}
	}
}

// TestRollbackWithoutSplitIsNoop: a flag with no fractional rule already sends
// every key to the stable variant, so 0% must not add a rule (and a commit).
func TestRollbackWithoutSplitIsNoop(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		doc  string
		f    Format
	}{
		{"json no targeting", flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a"}`), JSON},
		{"json empty targeting", flagsJSON("f", `{"state": "ENABLED", "variants": {"a": 1, "b": 2}, "defaultVariant": "a", "targeting": {}}`), JSON},
		{"yaml no targeting", "flags:\n  f:\n    state: ENABLED\n    variants: {a: 1, b: 2}\n    defaultVariant: a\n", YAML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, before, after, err := SetRollout([]byte(tt.doc), tt.f, "f", 0)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.doc, string(out)); diff != "" {
				t.Errorf("document changed (-want +got):\n%s", diff)
			}
			want := Split{Flag: "f", Stable: "a", Rollout: "b"}
			if diff := cmp.Diff(want, before); diff != "" {
				t.Errorf("before (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, after); diff != "" {
				t.Errorf("after (-want +got):\n%s", diff)
			}
		})
	}
}
