package suite

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/diag"
)

const fullSuite = `prompt: support/summarize
variant: v2
description: Summaries of support tickets
threshold: 0.9
repeat: 3
judge: gpt-4.1-mini
defaultTest:
  vars:
    tone: friendly
  assert:
    - type: not-icontains
      value: as an AI
tests:
  - description: short ticket
    vars:
      ticket: "My order is late"
      tone: formal
    threshold: 0.5
    assert:
      - type: icontains
        value: refund
        weight: 2
      - type: llm-rubric
        value: Mentions the order
        threshold: 0.7
        provider: local/judge
  - vars: {ticket: "Broken screen"}
`

func TestParse(t *testing.T) {
	t.Parallel()
	s, err := Parse("evals/support.yaml", []byte(fullSuite))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	half := 0.5
	type caseView struct {
		Index       int
		Description string
		Name        string
		Vars        map[string]any
		VarLines    map[string]int
		Asserts     []string
		Threshold   *float64
		Line        int
	}
	var cases []caseView
	for _, c := range s.Tests {
		var names []string
		for _, a := range c.Asserts {
			names = append(names, a.Name())
		}
		cases = append(cases, caseView{c.Index, c.Description, c.Name(), c.Vars, c.VarLines, names, c.Threshold, c.Line})
	}
	want := []caseView{
		{Index: 0, Description: "short ticket", Name: "short ticket",
			Vars: map[string]any{"ticket": "My order is late", "tone": "formal"}, VarLines: map[string]int{"ticket": 16, "tone": 17},
			Asserts: []string{"not-icontains", "icontains", "llm-rubric"}, Threshold: &half, Line: 14},
		{Index: 1, Name: "test #2",
			Vars: map[string]any{"ticket": "Broken screen", "tone": "friendly"}, VarLines: map[string]int{"ticket": 27, "tone": 9},
			Asserts: []string{"not-icontains"}, Line: 27},
	}
	if diff := cmp.Diff(want, cases); diff != "" {
		t.Errorf("cases mismatch (-want +got):\n%s", diff)
	}
	head := *s
	head.Tests = nil
	wantHead := Suite{Path: "evals/support.yaml", Prompt: "support/summarize", Variant: "v2", PromptLine: 1,
		Threshold: 0.9, ThresholdLine: 4, Repeat: 3, Judge: "gpt-4.1-mini", MaxTurns: 5, Description: "Summaries of support tickets"}
	if diff := cmp.Diff(wantHead, head); diff != "" {
		t.Errorf("suite mismatch (-want +got):\n%s", diff)
	}
	a := s.Tests[0].Asserts[1]
	if a.Weight != 2 || a.Line != 20 || a.File != "evals/support.yaml" {
		t.Errorf("icontains assertion = weight %v at %s:%d, want weight 2 at evals/support.yaml:20", a.Weight, a.File, a.Line)
	}
	r := s.Tests[0].Asserts[2]
	if r.Provider != "local/judge" || r.Threshold == nil || *r.Threshold != 0.7 {
		t.Errorf("llm-rubric assertion = %+v, want provider local/judge and threshold 0.7", r)
	}
}

func TestParseDefaults(t *testing.T) {
	t.Parallel()
	s, err := Parse("evals/min.yml", []byte("prompt: hello\ntests:\n  - vars: {name: Ann}\n"))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if s.Threshold != 1 || s.Repeat != 1 || s.Variant != "" || s.Judge != "" || len(s.Tests) != 1 || s.Tests[0].Threshold != nil {
		t.Errorf("defaults = %+v", s)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		src      string
		wantLine int
		wantMsg  string
	}{
		{"missing prompt", "tests:\n  - vars: {a: 1}\n", 1, "suite needs `prompt:`"},
		{"empty prompt", "prompt: ''\ntests:\n  - vars: {a: 1}\n", 1, "prompt must name a prompt"},
		{"no tests key", "prompt: p\n", 1, "suite has no tests"},
		{"empty tests", "prompt: p\ntests: []\n", 2, "suite has no tests"},
		{"null tests", "prompt: p\ntests:\n", 2, "suite has no tests"},
		{"tests not a list", "prompt: p\ntests: {a: 1}\n", 2, "tests must be a list"},
		{"unknown top key", "prompt: p\nthreshhold: 0.5\ntests:\n  - vars: {}\n", 2, `unknown key "threshhold" (did you mean "threshold"?)`},
		{"unknown test key", "prompt: p\ntests:\n  - vars: {}\n    asserts: []\n", 4, `unknown key "asserts" (did you mean "assert"?)`},
		{"unknown assertion key", "prompt: p\ntests:\n  - assert:\n      - type: contains\n        valeu: x\n", 5, `unknown key "valeu" (did you mean "value"?)`},
		{"unknown assertion type", "prompt: p\ntests:\n  - assert:\n      - type: icontain\n        value: x\n", 4, "unknown assertion type icontain (did you mean icontains?)"},
		{"bad value shape", "prompt: p\ntests:\n  - assert:\n      - type: contains-any\n        value: {a: 1}\n", 4, "list of strings"},
		{"malformed yaml", "prompt: p\ntests:\n  - vars: {a: 1\n", 2, "invalid YAML"},
		{"tab indentation", "prompt: p\ntests:\n\t- vars: {}\n", 3, "invalid YAML"},
		{"threshold range", "prompt: p\nthreshold: 90\ntests:\n  - vars: {}\n", 2, "between 0 and 1"},
		{"repeat zero", "prompt: p\nrepeat: 0\ntests:\n  - vars: {}\n", 2, "repeat must be an integer"},
		{"test threshold range", "prompt: p\ntests:\n  - threshold: 2\n", 3, "between 0 and 1"},
		{"duplicate key", "prompt: p\nprompt: q\ntests:\n  - vars: {}\n", 2, "set twice"},
		{"vars not a mapping", "prompt: p\ntests:\n  - vars: [a]\n", 3, "vars must be a mapping"},
		{"non-string var keys", "prompt: p\ntests:\n  - vars: {a: {1: x}}\n", 3, "string keys only"},
		{"not a mapping", "- a\n", 1, "suite must be a mapping"},
		{"empty file", "", 1, "suite is empty"},
		{"assert not a list", "prompt: p\ntests:\n  - assert: {type: contains}\n", 3, "assert must be a list"},
		{"default test unknown key", "prompt: p\ndefaultTest:\n  options: {}\ntests:\n  - vars: {}\n", 3, `unknown key "options"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("evals/bad.yaml", []byte(tt.src))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			first := firstDiag(t, err)
			if first.File != "evals/bad.yaml" || first.Line != tt.wantLine || !strings.Contains(first.Msg, tt.wantMsg) {
				t.Errorf("error = %v, want %q at line %d", err, tt.wantMsg, tt.wantLine)
			}
		})
	}
}

func TestParseReportsAllProblems(t *testing.T) {
	t.Parallel()
	_, err := Parse("evals/bad.yaml", []byte("prompt: p\nrepeat: x\ntests:\n  - bogus: 1\n  - assert:\n      - type: nope\n"))
	l, ok := err.(diag.List)
	if !ok || len(l) != 3 {
		t.Fatalf("error = %v, want a diag.List of 3", err)
	}
	var lines []int
	for _, e := range l {
		lines = append(lines, e.Line)
	}
	if diff := cmp.Diff([]int{2, 4, 6}, lines); diff != "" {
		t.Errorf("error lines mismatch (-want +got):\n%s", diff)
	}
}

func firstDiag(t *testing.T, err error) *diag.Error {
	t.Helper()
	switch e := err.(type) {
	case diag.List:
		return e[0]
	case *diag.Error:
		return e
	}
	t.Fatalf("error %v (%T) is not a diag error", err, err)
	return nil
}

func TestLoad(t *testing.T) {
	t.Parallel()
	ok := "prompt: p\ntests:\n  - vars: {}\n"
	fsys := fstest.MapFS{
		"evals/b.yaml":        {Data: []byte(ok)},
		"evals/a/nested.yml":  {Data: []byte(ok)},
		"evals/notes.md":      {Data: []byte("# not a suite")},
		"prompts/x.prompt":    {Data: []byte("hi")},
		"evals/c/broken.yaml": {Data: []byte("prompt: p\n")},
		"evals/d.yaml":        {Data: []byte("tests: [{}]\n")},
	}
	_, err := Load(fsys, "evals")
	l, isList := err.(diag.List)
	if !isList || len(l) != 2 {
		t.Fatalf("Load error = %v, want 2 problems", err)
	}
	delete(fsys, "evals/c/broken.yaml")
	delete(fsys, "evals/d.yaml")
	suites, err := Load(fsys, "evals")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var paths []string
	for _, s := range suites {
		paths = append(paths, s.Path)
	}
	if diff := cmp.Diff([]string{"evals/a/nested.yml", "evals/b.yaml"}, paths); diff != "" {
		t.Errorf("paths mismatch (-want +got):\n%s", diff)
	}
	none, err := Load(fstest.MapFS{}, "evals")
	if err != nil || len(none) != 0 {
		t.Errorf("Load of a missing root = %v, %v; want no suites, no error", none, err)
	}
}

// The suite's assertions must be usable as parsed: a quick end-to-end check.
func TestParsedAssertionsEvaluate(t *testing.T) {
	t.Parallel()
	s, err := Parse("evals/e.yaml", []byte("prompt: p\ntests:\n  - vars: {who: Ann}\n    assert:\n      - type: contains\n        value: '{{who}}'\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := s.Tests[0]
	g, err := assert.Evaluate(t.Context(), c.Asserts, c.Threshold, assert.Output{Text: "Hi Ann", Vars: c.Vars}, assert.Env{})
	if err != nil || !g.Pass {
		t.Errorf("Evaluate = %+v, %v; want pass", g, err)
	}
}
