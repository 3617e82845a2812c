package check

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/verdict"
)

func TestFlagShares(t *testing.T) {
	t.Parallel()
	split := func(pct float64) map[string]verdict.FlagShare {
		fs := verdict.FlagShare{Flag: "f", Stable: "sum", Rollout: "sum.v2", Pct: pct}
		return map[string]verdict.FlagShare{"sum": fs, "sum.v2": fs}
	}
	tests := []struct {
		name      string
		file      string
		doc       string
		want      map[string]verdict.FlagShare
		wantNotes []string
	}{
		{
			name: "json 25%", file: "flags.json",
			doc:  `{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a","targeting":{"fractional":[["a",75],["b",25]]}}}}`,
			want: split(25),
		},
		{
			// flagd gives a bucket without a weight the weight 1.
			name: "omitted weight counts as 1", file: "flags.json",
			doc:  `{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a","targeting":{"fractional":[["a",3],["b"]]}}}}`,
			want: split(25),
		},
		{
			name: "bucketing expression first", file: "flags.json",
			doc:  `{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a","targeting":{"fractional":[{"var":"email"},["a",50],["b",50]]}}}}`,
			want: split(50),
		},
		{
			name: "yaml with metadata.rolloutVariant among three", file: "flags.yaml",
			doc: "flags:\n  f:\n    state: ENABLED\n    variants: {a: sum, b: sum.v2, c: sum.v3}\n    defaultVariant: a\n    metadata: {rolloutVariant: b}\n" +
				"    targeting:\n      fractional: [[a, 90], [b, 10]]\n",
			want: split(10),
		},
		{
			name: "no targeting yet is 0%", file: "flags.json",
			doc:  `{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a"}}}`,
			want: split(0),
		},
		{
			name: "boolean flags are not prompts", file: "flags.json",
			doc:  `{"flags":{"g":{"state":"ENABLED","variants":{"on":true,"off":false},"defaultVariant":"off","targeting":{"fractional":[["on",50],["off",50]]}}}}`,
			want: map[string]verdict.FlagShare{},
		},
		{
			name: "targeting promptgate cannot read puts all traffic on the default", file: "flags.json",
			doc: `{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a",` +
				`"targeting":{"if":[{"==":[{"var":"tier"},"gold"]},"b","a"]}}}}`,
			want: map[string]verdict.FlagShare{
				"sum":    {Flag: "f", Stable: "sum"},
				"sum.v2": {Flag: "f", Stable: "sum", Rollout: "sum.v2"},
			},
			wantNotes: []string{"rollout share of flag f"},
		},
		{name: "not a document", file: "flags.json", doc: `{"flags":`, want: nil},
		{name: "empty", file: "flags.json", doc: ``, want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, notes := flagShares([]byte(tc.doc), tc.file)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("flagShares (-want +got):\n%s", diff)
			}
			if len(notes) != len(tc.wantNotes) {
				t.Fatalf("notes = %q, want %d", notes, len(tc.wantNotes))
			}
			for i, n := range notes {
				if !strings.Contains(n, tc.wantNotes[i]) {
					t.Errorf("note %q lacks %q", n, tc.wantNotes[i])
				}
			}
		})
	}
}

// FuzzFlagShares: any flags file, JSON or YAML, gives shares within 0..100
// and never panics.
func FuzzFlagShares(f *testing.F) {
	f.Add([]byte(`{"flags":{"f":{"state":"ENABLED","variants":{"a":"sum","b":"sum.v2"},"defaultVariant":"a","targeting":{"fractional":[["a",3],["b"]]}}}}`), false)
	f.Add([]byte("flags:\n  f:\n    variants: {a: x, b: y}\n    defaultVariant: a\n    targeting: {fractional: [[a, 1], [b, 1]]}\n"), true)
	f.Fuzz(func(t *testing.T, doc []byte, yaml bool) {
		file := "flags.json"
		if yaml {
			file = "flags.yaml"
		}
		shares, _ := flagShares(doc, file)
		for k, fs := range shares {
			if fs.Pct < 0 || fs.Pct > 100 || (k != fs.Stable && k != fs.Rollout) {
				t.Errorf("share for %q = %+v", k, fs)
			}
		}
	})
}
