package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseOnline(t *testing.T) {
	t.Parallel()
	in := `online:
  summarize:
    sample_rate: 0.1
    assert:
      - type: is-json
      - type: llm-rubric
        value: The summary names the customer's problem.
        metric: names_problem
  classify:
    assert:
      - type: not-contains
        value: "As an AI"
`
	c, err := Parse([]byte(in), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := []OnlineFlag{
		{Flag: "classify", SampleRate: 1, Assert: []OnlineAssertion{{Type: "not-contains", Value: "As an AI", Line: 11}}},
		{Flag: "summarize", SampleRate: 0.1, Assert: []OnlineAssertion{{Type: "is-json", Line: 5},
			{Type: "llm-rubric", Value: "The summary names the customer's problem.", Metric: "names_problem", Line: 6}}},
	}
	if diff := cmp.Diff(want, c.Online); diff != "" {
		t.Errorf("online (-want +got):\n%s", diff)
	}
	if f, ok := c.OnlineFlag("summarize"); !ok || f.Assert[1].Label() != "names_problem" || f.Assert[0].Label() != "is-json" {
		t.Errorf("OnlineFlag(summarize) = %+v, %v", f, ok)
	}
	if _, ok := c.OnlineFlag("missing"); ok {
		t.Error("OnlineFlag(missing) found a flag")
	}
}

func TestParseOnlineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     []string
	}{
		{"expected value", "online:\n  f:\n    assert:\n      - type: equals\n        value: x\n",
			[]string{"promptgate.yaml:4:", "equals needs an expected value"}},
		{"vars", "online:\n  f:\n    assert:\n      - type: contains\n        value: \"{{name}}\"\n",
			[]string{"promptgate.yaml:4:", "{{vars}}"}},
		{"rate", "online:\n  f:\n    sample_rate: 2\n    assert:\n      - type: is-json\n",
			[]string{"promptgate.yaml:3:", "sample_rate must be between 0 and 1"}},
		{"no assertions", "online:\n  f:\n    sample_rate: 1\n", []string{"promptgate.yaml:2:", "needs assert"}},
		{"metric", "online:\n  f:\n    assert:\n      - type: is-json\n        metric: \"a b\"\n",
			[]string{"promptgate.yaml:4:", `metric "a b"`}},
		{"unknown key", "online:\n  f:\n    assert:\n      - type: is-json\n        vars: {}\n",
			[]string{"promptgate.yaml:5:", "unknown key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in), "promptgate.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
