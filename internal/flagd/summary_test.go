package flagd

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

const summaryJSON = `{
  "flags": {
    "greet": {
      "state": "ENABLED",
      "variants": {"stable": "greet", "next": "greet.v2", "off": false},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 90], ["next", 10]]}
    }
  },
  "$evaluators": {"beta": {"in": ["@x", {"var": "email"}]}}
}`

// The same document in YAML, keys in another order.
const summaryYAML = `$evaluators:
  beta: {in: ["@x", {var: email}]}
flags:
  greet:
    defaultVariant: stable
    targeting:
      fractional: [[stable, 90], [next, 10]]
    variants: {next: greet.v2, off: false, stable: greet}
    state: ENABLED
`

func TestSummarize(t *testing.T) {
	t.Parallel()
	fromJSON := Summarize([]byte(summaryJSON))
	want := Summary{
		Flags: map[string]FlagSummary{"greet": {
			Canonical: fromJSON.Flags["greet"].Canonical,
			Refs:      []string{"greet.v2", "greet"}, // variant-name order: next, stable
		}},
		Evaluators: `{"beta":{"in":["@x",{"var":"email"}]}}`,
	}
	if diff := cmp.Diff(want, fromJSON); diff != "" {
		t.Errorf("Summarize(JSON) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(fromJSON, Summarize([]byte(summaryYAML))); diff != "" {
		t.Errorf("the same flags in YAML summarize differently (-JSON +YAML):\n%s", diff)
	}
	edited := Summarize([]byte(`{"flags": {"greet": {"state": "ENABLED",
	  "variants": {"stable": "greet", "next": "greet.v2", "off": false},
	  "defaultVariant": "stable",
	  "targeting": {"fractional": [["stable", 80], ["next", 20]]}}}}`))
	if edited.Flags["greet"].Canonical == fromJSON.Flags["greet"].Canonical {
		t.Errorf("a new split left the canonical encoding unchanged: %s", edited.Flags["greet"].Canonical)
	}
	for _, bad := range []string{"", "  \n", "{", "[1, 2]", "flags: [a"} {
		if got := Summarize([]byte(bad)); len(got.Flags) != 0 || got.Evaluators != "" {
			t.Errorf("Summarize(%q) = %+v, want no flags", bad, got)
		}
	}
}

func TestReadVariants(t *testing.T) {
	t.Parallel()
	want := map[string]FlagVariants{"greet": {
		Variants:       map[string]any{"stable": "greet", "next": "greet.v2", "off": false},
		DefaultVariant: "stable",
	}}
	for _, tc := range []struct {
		name string
		doc  string
		f    Format
	}{
		{"json", summaryJSON, JSON},
		{"yaml", summaryYAML, YAML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ReadVariants([]byte(tc.doc), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ReadVariants (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := ReadVariants([]byte(summaryYAML), JSON); err == nil {
		t.Error("ReadVariants read YAML as JSON without an error")
	}
}

// FuzzSummarize checks that Summarize never panics and sees only content: a
// JSON document re-encoded (other spacing, sorted keys) or converted to YAML
// summarizes the same.
func FuzzSummarize(f *testing.F) {
	f.Add([]byte(summaryJSON))
	f.Add([]byte(summaryYAML))
	addSeeds(f, func(doc []byte, _ bool) { f.Add(doc) })
	f.Fuzz(func(t *testing.T, doc []byte) {
		got := Summarize(doc)
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		again, err := json.Marshal(v)
		if err != nil {
			return
		}
		if diff := cmp.Diff(got, Summarize(again)); diff != "" {
			t.Errorf("re-encoded JSON summarizes differently (-original +re-encoded):\n%s", diff)
		}
		asYAML, err := yaml.Marshal(v)
		if err != nil {
			return
		}
		if diff := cmp.Diff(got, Summarize(asYAML)); diff != "" {
			t.Errorf("the same document as YAML summarizes differently (-JSON +YAML):\n%s\n%s", diff, asYAML)
		}
	})
}

// FuzzReadVariants checks that ReadVariants never panics and that what it
// reads from JSON survives a round trip through its own encoding.
func FuzzReadVariants(f *testing.F) {
	f.Add([]byte(summaryJSON), false)
	f.Add([]byte(summaryYAML), true)
	addSeeds(f, func(doc []byte, isYAML bool) { f.Add(doc, isYAML) })
	f.Fuzz(func(t *testing.T, doc []byte, isYAML bool) {
		flags, err := ReadVariants(doc, format(isYAML))
		if err != nil || isYAML {
			return
		}
		again, err := json.Marshal(map[string]any{"flags": flags})
		if err != nil {
			t.Fatalf("encode what ReadVariants read: %v", err)
		}
		back, err := ReadVariants(again, JSON)
		if err != nil {
			t.Fatalf("read back %s: %v", again, err)
		}
		if diff := cmp.Diff(flags, back, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("round trip changed the flags (-first +second):\n%s", diff)
		}
	})
}
