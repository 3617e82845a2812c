package suite

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptgate/promptgate/internal/assert"
)

// sameSuite compares two parses, ignoring compiled regexes and schemas.
var sameSuite = cmpopts.IgnoreUnexported(assert.Assertion{})

func TestParseSplitMatchesWhole(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		data  string
		split bool // whether the item-by-item parse applies
	}{
		{name: "full suite", data: fullSuite, split: true},
		{name: "items at column 0", data: "prompt: p\ntests:\n- vars: {a: 1}\n- description: two\n  vars:\n    a: 2\nthreshold: 0.5\n", split: true},
		{name: "comments and blank lines", data: "# head\nprompt: p # c\ntests: # the cases\n  # first\n\n  - vars: {a: 1}\n# col0 comment\n\n  - vars: {a: 2}\n    # trailing\n\nrepeat: 2\n", split: true},
		{name: "keys after tests shift lines", data: "prompt: p\ntests:\n  - vars: {a: 1}\n  - vars: {a: 2}\nthreshold: nope\n", split: false},
		{name: "block scalar keeps trailing lines", data: "prompt: p\ntests:\n  - vars:\n      a: |+\n        x\n\n  - vars:\n      a: >-\n        y\n        - z\n", split: true},
		{name: "no trailing newline", data: "prompt: p\ntests:\n  - vars: {a: 1}", split: true},
		{name: "CRLF", data: "prompt: p\r\ntests:\r\n  - vars: {a: 1}\r\n  - vars: {a: 2}\r\n", split: true},
		{name: "alias for vars is an error", data: "prompt: p\ntests:\n  - vars: &v {a: 1}\n  - vars: *v\n", split: false},
		{name: "alias within a batch", data: aliasSuite(3), split: true},
		{name: "alias across batches", data: aliasSuite(itemsPerParse + 3), split: false},
		{name: "anchor in header", data: "prompt: p\ndefaultTest: {vars: &v {a: 1}}\ntests:\n  - vars: *v\n", split: false},
		{name: "flow list", data: "prompt: p\ntests: [{vars: {a: 1}}]\n", split: false},
		{name: "tests set twice", data: "prompt: p\ntests:\n  - vars: {a: 1}\ntests:\n  - vars: {a: 2}\n", split: false},
		{name: "multi-line quoted string", data: "prompt: p\ntests:\n  - description: \"one\n  - two\"\n", split: false},
		{name: "unknown key in an item", data: "prompt: p\ntests:\n  - varz: {a: 1}\n", split: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			split := parseSplit("evals/s.yaml", []byte(tc.data))
			if (split != nil) != tc.split {
				t.Errorf("item-by-item parse applied = %v, want %v", split != nil, tc.split)
			}
			whole, wholeErr := parseWhole("evals/s.yaml", []byte(tc.data))
			got, err := Parse("evals/s.yaml", []byte(tc.data))
			if fmt.Sprint(err) != fmt.Sprint(wholeErr) {
				t.Errorf("Parse error %v, parsing whole gives %v", err, wholeErr)
			}
			if diff := cmp.Diff(whole, got, sameSuite); diff != "" {
				t.Errorf("Parse differs from parsing whole (-whole +Parse):\n%s", diff)
			}
		})
	}
}

// aliasSuite has n cases; the last one's assertion value is an alias of the first's.
func aliasSuite(n int) string {
	var b strings.Builder
	b.WriteString("prompt: p\ntests:\n  - assert: [{type: equals, value: &w x}]\n")
	for range n - 2 {
		b.WriteString("  - vars: {a: 1}\n")
	}
	b.WriteString("  - assert: [{type: equals, value: *w}]\n")
	return b.String()
}

// TestParseSplitLines checks that cases, vars and assertions keep their lines
// in the file when items are parsed apart from the header.
func TestParseSplitLines(t *testing.T) {
	t.Parallel()
	data := "prompt: p\n# c\ntests:\n\n  - vars:\n      a: 1\n    assert:\n      - type: equals\n        value: x\n  - vars: {a: 2}\nrepeat: 3\n"
	s := parseSplit("evals/s.yaml", []byte(data))
	if s == nil {
		t.Fatal("item-by-item parse did not apply")
	}
	got := []int{s.Tests[0].Line, s.Tests[0].VarLines["a"], s.Tests[0].Asserts[0].Line, s.Tests[1].Line, s.Repeat}
	if diff := cmp.Diff([]int{5, 6, 8, 10, 3}, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// FuzzParseSplit checks that whenever the item-by-item parse accepts a file, it
// gives exactly what parsing the file whole gives.
func FuzzParseSplit(f *testing.F) {
	f.Add([]byte(fullSuite))
	f.Add([]byte("prompt: p\ntests:\n- vars: {a: 1}\n- a\nthreshold: 0.5\n"))
	f.Add([]byte("prompt: p\ntests: # c\n  # x\n  - vars:\n      a: |\n        - b\n  - vars: {a: \"q\n  - r\"}\n"))
	f.Add([]byte("%YAML 1.1\n---\nprompt: p\ntests:\n  - vars: {a: !!str 1}\n...\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		split := parseSplit("evals/f.yaml", data)
		if split == nil {
			return
		}
		whole, err := parseWhole("evals/f.yaml", data)
		if err != nil {
			t.Fatalf("item-by-item parse accepted a file that parsing whole rejects: %v", err)
		}
		if diff := cmp.Diff(whole, split, sameSuite); diff != "" {
			t.Fatalf("item-by-item parse differs (-whole +split):\n%s", diff)
		}
	})
}

func BenchmarkParse(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("prompt: echo\ntests:\n")
	for i := range 5000 {
		fmt.Fprintf(&sb, "  - description: case %d\n    vars: {word: word%d}\n    assert:\n      - type: contains\n        value: word%d\n", i, i, i)
	}
	data := []byte(sb.String())
	b.Run("split", func(b *testing.B) {
		for b.Loop() {
			if parseSplit("evals/e.yaml", data) == nil {
				b.Fatal("not split")
			}
		}
	})
	b.Run("whole", func(b *testing.B) {
		for b.Loop() {
			if _, err := parseWhole("evals/e.yaml", data); err != nil {
				b.Fatal(err)
			}
		}
	})
}
