package assert

import (
	"context"
	"slices"
	"testing"
)

// TestEvaluateLeavesUngradedOut: a not-graded assertion takes no part in
// the pass or the score; a test with nothing else is NotGraded, never a
// pass.
func TestEvaluateLeavesUngradedOut(t *testing.T) {
	t.Parallel()
	contains, err := Compile("c.yaml", 2, Spec{Type: "contains", Value: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	similar := NotGraded("c.yaml", 3, "not-similar")
	half := 0.5
	tests := []struct {
		name      string
		asserts   []Assertion
		threshold *float64
		out       string
		pass      bool
		notGraded bool
		score     float64
	}{
		{"graded passes", []Assertion{contains, similar}, nil, "hi there", true, false, 1},
		{"graded fails", []Assertion{similar, contains}, nil, "bye", false, false, 0},
		{"threshold over graded only", []Assertion{contains, similar}, &half, "hi", true, false, 1},
		{"only ungraded", []Assertion{similar}, nil, "hi", false, true, 0},
		{"only ungraded with threshold", []Assertion{similar, similar}, &half, "hi", false, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := Evaluate(context.Background(), tt.asserts, tt.threshold, Output{Text: tt.out}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			if g.Pass != tt.pass || g.NotGraded != tt.notGraded || g.Score != tt.score {
				t.Errorf("pass %v not graded %v score %v, want %v %v %v (%s)", g.Pass, g.NotGraded, g.Score, tt.pass, tt.notGraded, tt.score, g.Reason)
			}
			if len(g.Ungraded) == 0 || g.Ungraded[0] != "not-similar (c.yaml:3)" {
				t.Errorf("ungraded %q", g.Ungraded)
			}
		})
	}
}

func TestUngradable(t *testing.T) {
	t.Parallel()
	for typ, want := range map[string]bool{
		"similar": true, "not-similar": true, "classifier": true, "moderation": true, "perplexity": true,
		"contains": false, "llm-rubric": false, "trajectory:tool-used": false, "simlar": false, "": false,
	} {
		if got := Ungradable(typ); got != want {
			t.Errorf("Ungradable(%q) = %v, want %v", typ, got, want)
		}
	}
	if got := UnknownTypeHint("simlar"); got != " (did you mean similar?)" {
		t.Errorf("hint %q", got)
	}
}

// TestKnownTypesCoverGraded: every type promptgate grades is known, so a
// CSV cell or config naming it is never read as a typo, and none of them
// is ungradable.
func TestKnownTypesCoverGraded(t *testing.T) {
	t.Parallel()
	for _, typ := range append(append([]string(nil), Types...), ToolTypes...) {
		if !slices.Contains(KnownTypes(), typ) || Ungradable(typ) {
			t.Errorf("%s: known %v, ungradable %v", typ, slices.Contains(KnownTypes(), typ), Ungradable(typ))
		}
	}
}
