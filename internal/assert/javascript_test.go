package assert

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJavascript(t *testing.T) {
	t.Parallel()
	f := func(x float64) *float64 { return &x }
	tests := []struct {
		name string
		spec Spec
		out  Output
		want Result
	}{
		{"expression true", Spec{Type: "javascript", Value: "output.includes('refund')"}, Output{Text: "a refund"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"expression false", Spec{Type: "javascript", Value: "output.length > 5"}, Output{Text: "abc"},
			Result{Type: "javascript", Score: 0, Reason: "Custom function returned false"}},
		{"negated", Spec{Type: "not-javascript", Value: "output.length > 5"}, Output{Text: "abc"},
			Result{Type: "not-javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"score passes above 0", Spec{Type: "javascript", Value: "output.length / 10"}, Output{Text: "abcde"},
			Result{Type: "javascript", Pass: true, Score: 0.5, Reason: "assertion passed"}},
		{"score below threshold", Spec{Type: "javascript", Value: "output.length / 10", Threshold: f(0.6)}, Output{Text: "abcde"},
			Result{Type: "javascript", Score: 0.5, Reason: "Custom function returned false (score 0.5)"}},
		{"grading result", Spec{Type: "javascript", Value: "({pass: true, score: 0.7, reason: 'fine'})"}, Output{Text: "x"},
			Result{Type: "javascript", Pass: true, Score: 0.7, Reason: "fine"}},
		{"declarations then expression", Spec{Type: "javascript", Value: "const n = output.length; n === 3;"}, Output{Text: "abc"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"function body", Spec{Type: "javascript", Value: "const w = output.split(' ');\nreturn w.length === 2;\n"}, Output{Text: "a b"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"context vars, test and prompt", Spec{Type: "javascript", Value: "context.vars.name === 'Bob' && context.test.vars.name === 'Bob' && context.prompt === 'Hi Bob'"},
			Output{Text: "x", Vars: map[string]any{"name": "Bob"}, Prompt: "Hi Bob"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"{{var}} rendered into the code", Spec{Type: "javascript", Value: "output === '{{name}}'"}, Output{Text: "Bob", Vars: map[string]any{"name": "Bob"}},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"async result awaited", Spec{Type: "javascript", Value: "(async () => output === 'x')()"}, Output{Text: "x"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
		{"no require, fetch or environment", Spec{Type: "javascript", Value: "typeof require === 'undefined' && typeof fetch === 'undefined' && Object.keys(process.env).length === 0"}, Output{Text: "x"},
			Result{Type: "javascript", Pass: true, Score: 1, Reason: "assertion passed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustCompile(t, tt.spec)
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, tt.out, Env{})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff([]Result{tt.want}, g.Results); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJavascriptFailures: a script that throws, does not compile, returns the
// wrong type fails (negated too), as in promptfoo.
func TestJavascriptFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, value, want string
	}{
		{"throws", "JSON.parse(output).x", "Custom function threw error: SyntaxError"},
		{"syntax error", "output ===", "Custom function threw error:"},
		{"string result", "'yes'", "must return a boolean, number, or GradingResult"},
		{"no filesystem", "require('fs')", "ReferenceError: require is not defined"},
	}
	for _, tt := range tests {
		for _, typ := range []string{"javascript", "not-javascript"} {
			t.Run(tt.name+"/"+typ, func(t *testing.T) {
				t.Parallel()
				a := mustCompile(t, Spec{Type: typ, Value: tt.value})
				// The product's own limit: these scripts end at once, and a
				// tight one fails them on a loaded machine (the time limit
				// has its own tests in jsguard_test.go).
				g, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "not json"}, Env{})
				if err != nil {
					t.Fatalf("Evaluate: %v", err)
				}
				r := g.Results[0]
				if r.Pass || r.Score != 0 || !strings.Contains(r.Reason, tt.want) {
					t.Errorf("got pass=%t score=%g reason %q, want a fail containing %q", r.Pass, r.Score, r.Reason, tt.want)
				}
			})
		}
	}
}

func TestJSFunctionBody(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"output === 'a'", "return output === 'a'"},
		{"output === 'a';;  ", "return output === 'a'"},
		{"const a = 1; a > 0", "const a = 1; return a > 0"},
		{"const s = output; s === 'a;b'", "const s = output; return s === 'a;b'"},
		{"let x = 2;", "let x = 2"},
	}
	for _, tt := range tests {
		if got := jsFunctionBody(tt.in); got != tt.want {
			t.Errorf("jsFunctionBody(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
