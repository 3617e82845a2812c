package flagd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// addSeeds seeds a fuzz target with every edit fixture.
func addSeeds(f *testing.F, add func(doc []byte, isYAML bool)) {
	files, err := filepath.Glob(filepath.Join("testdata", "edit", "*"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed files: %v", err)
	}
	for _, file := range files {
		doc, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		add(doc, FormatForPath(file) == YAML)
	}
}

func format(isYAML bool) Format {
	if isYAML {
		return YAML
	}
	return JSON
}

// FuzzSetRollout checks the editor's contract on arbitrary input: it either
// errors, or returns a document that Validate accepts, that decodes to the
// input apart from the flag's fractional weights (or newly added targeting),
// and whose ReadSplit is the requested percentage.
func FuzzSetRollout(f *testing.F) {
	addSeeds(f, func(doc []byte, isYAML bool) {
		for _, pct := range []int{0, 25, 100} {
			f.Add(doc, isYAML, "summarize", pct)
		}
	})
	f.Add([]byte(`{"flags":{"f":{"state":"ENABLED","variants":{"a":1,"b":2},"defaultVariant":"a"}}}`), false, "f", 7)
	f.Fuzz(func(t *testing.T, doc []byte, isYAML bool, flag string, pct int) {
		fm := format(isYAML)
		before, readErr := ReadSplit(doc, fm, flag)
		out, gotBefore, after, err := SetRollout(doc, fm, flag, pct)
		if err != nil {
			return
		}
		if pct < 0 || pct > 100 {
			t.Fatalf("SetRollout accepted pct %d", pct)
		}
		if readErr != nil {
			t.Fatalf("SetRollout succeeded where ReadSplit failed: %v", readErr)
		}
		if gotBefore != before {
			t.Fatalf("before = %+v, ReadSplit = %+v", gotBefore, before)
		}
		if pct == 0 && !before.HasFractional {
			// Already at 0%: the document must come back as it was.
			if !bytes.Equal(out, doc) || after != before {
				t.Fatalf("0%% on a flag without a split changed it: after %+v\n%s", after, out)
			}
			return
		}
		if err := Validate(out, fm); err != nil {
			t.Fatalf("edited document is invalid: %v\n%s", err, out)
		}
		got, err := ReadSplit(out, fm, flag)
		if err != nil {
			t.Fatalf("edited document does not read back: %v\n%s", err, out)
		}
		if got != after || got.RolloutPct != pct || !got.HasFractional || got.Stable != before.Stable || got.Rollout != before.Rollout {
			t.Fatalf("after = %+v, ReadSplit = %+v, want %d%%", after, got, pct)
		}
		in, edited := decode(t, doc, fm), decode(t, out, fm)
		inArgs, outArgs := stripTargeting(in, flag), stripTargeting(edited, flag)
		if !reflect.DeepEqual(in, edited) {
			t.Fatalf("edit changed more than the flag's targeting:\n%s", out)
		}
		if !before.HasFractional {
			inArgs = []any{before.Stable, before.Rollout}
		}
		if !reflect.DeepEqual(inArgs, outArgs) {
			t.Fatalf("fractional buckets changed from %v to %v:\n%s", inArgs, outArgs, out)
		}
	})
}

// decode reads a document the way flagd does, independently of the package.
func decode(t *testing.T, doc []byte, f Format) map[string]any {
	t.Helper()
	b := doc
	if f == YAML {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		var err error
		if b, err = json.Marshal(m); err != nil {
			t.Fatal(err)
		}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// stripTargeting removes a flag's targeting and returns its fractional
// arguments with each bucket reduced to its variant name, so a renamed or
// reordered bucket is still caught while the weights are ignored.
func stripTargeting(doc map[string]any, flag string) []any {
	fl, _ := doc["flags"].(map[string]any)[flag].(map[string]any)
	t, _ := fl["targeting"].(map[string]any)
	delete(fl, "targeting")
	args, _ := t["fractional"].([]any)
	var names []any
	for _, a := range args {
		if b, ok := a.([]any); ok && len(b) > 0 {
			names = append(names, b[0])
		} else {
			names = append(names, a)
		}
	}
	return names
}

// FuzzReadSplit checks that reading never panics and that any split it
// reports is in range.
func FuzzReadSplit(f *testing.F) {
	addSeeds(f, func(doc []byte, isYAML bool) { f.Add(doc, isYAML, "summarize") })
	f.Fuzz(func(t *testing.T, doc []byte, isYAML bool, flag string) {
		s, err := ReadSplit(doc, format(isYAML), flag)
		if err != nil {
			return
		}
		if s.RolloutPct < 0 || s.RolloutPct > 100 || s.Flag != flag || s.Stable == "" || s.Rollout == "" || s.Stable == s.Rollout {
			t.Fatalf("bad split %+v", s)
		}
		if !s.HasFractional && s.RolloutPct != 0 {
			t.Fatalf("split without fractional has %d%%", s.RolloutPct)
		}
		if _, err := Flags(doc, format(isYAML)); err != nil {
			t.Fatalf("ReadSplit worked but Flags failed: %v", err)
		}
	})
}

// FuzzParseJSON holds the position-tracking scanner to encoding/json: it must
// accept exactly what encoding/json accepts (bar duplicate keys, which it
// rejects on purpose) and decode to the same value.
func FuzzParseJSON(f *testing.F) {
	addSeeds(f, func(doc []byte, isYAML bool) {
		if !isYAML {
			f.Add(doc)
		}
	})
	for _, s := range []string{`"\u00e9\ud83d\ude00"`, `-0.5e+10`, `[1,{"a":null}]`, "\"\xff\"", `{"a":1,"a":2}`, `1e400`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		n, err := parseJSON(doc)
		var want any
		stdErr := json.Unmarshal(doc, &want)
		switch {
		case err == nil && stdErr != nil:
			t.Fatalf("scanner accepted what encoding/json rejects: %v", stdErr)
		case err != nil && stdErr == nil:
			if !json.Valid(doc) || !isDuplicateKey(err) {
				t.Fatalf("scanner rejected valid JSON: %v", err)
			}
		case err == nil:
			if got := n.value(); !reflect.DeepEqual(got, want) {
				t.Fatalf("scanner decoded %#v, encoding/json %#v", got, want)
			}
			if n.start < 0 || n.end > len(doc) || n.start > n.end {
				t.Fatalf("bad span %d..%d", n.start, n.end)
			}
		}
	})
}

func isDuplicateKey(err error) bool {
	return strings.Contains(err.Error(), "duplicate key")
}
