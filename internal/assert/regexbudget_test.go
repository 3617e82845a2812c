package assert

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestRegexBudget: regex assertions share one run's matching time; once it
// is spent, a regex assertion makes its case an error naming the budget,
// and other assertion types are unaffected.
func TestRegexBudget(t *testing.T) {
	t.Parallel()
	re := mustCompile(t, Spec{Type: "regex", Value: `^(\w+)\s\1$`})
	contains := mustCompile(t, Spec{Type: "contains", Value: "hi"})
	budget := NewRegexBudget(time.Hour)
	env := Env{Regex: budget}
	g, err := Evaluate(context.Background(), []Assertion{re}, nil, Output{Text: "hi hi"}, env)
	if err != nil || !g.Pass {
		t.Fatalf("within the budget: pass=%v err=%v", g.Pass, err)
	}
	if spent := time.Duration(budget.spent.Load()); spent <= 0 || spent > time.Hour {
		t.Errorf("spent %s after one match, want a small positive time", spent)
	}
	budget.charge(time.Hour)
	_, err = Evaluate(context.Background(), []Assertion{re}, nil, Output{Text: "hi hi"}, env)
	if err == nil || !strings.Contains(err.Error(), "matching-time budget of 1h0m0s") || !strings.Contains(err.Error(), "regex at evals/x.yaml:7") {
		t.Errorf("past the budget: error %v, want one naming the budget and the assertion's line", err)
	}
	if g, err := Evaluate(context.Background(), []Assertion{contains}, nil, Output{Text: "hi hi"}, env); err != nil || !g.Pass {
		t.Errorf("contains past the regex budget: pass=%v err=%v", g.Pass, err)
	}
	if g, err := Evaluate(context.Background(), []Assertion{re}, nil, Output{Text: "hi hi"}, Env{}); err != nil || !g.Pass {
		t.Errorf("no budget: pass=%v err=%v", g.Pass, err)
	}
}
