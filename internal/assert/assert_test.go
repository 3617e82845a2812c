package assert

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/diag"
)

func f(v float64) *float64 { return &v }

func mustCompile(t *testing.T, s Spec) Assertion {
	t.Helper()
	a, err := Compile("evals/x.yaml", 7, s)
	if err != nil {
		t.Fatalf("Compile(%+v): %v", s, err)
	}
	return a
}

func TestAssertions(t *testing.T) {
	t.Parallel()
	schema := map[string]any{"type": "object", "required": []any{"ok"}, "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}
	tests := []struct {
		name     string
		spec     Spec
		out      Output
		wantPass bool
	}{
		{"equals", Spec{Type: "equals", Value: "Paris"}, Output{Text: "Paris"}, true},
		{"equals is exact", Spec{Type: "equals", Value: "Paris"}, Output{Text: "Paris."}, false},
		{"equals object compares JSON", Spec{Type: "equals", Value: map[string]any{"a": 1}}, Output{Text: `{ "a": 1.0 }`}, true},
		{"equals object not JSON", Spec{Type: "equals", Value: map[string]any{"a": 1}}, Output{Text: `a=1`}, false},
		{"contains", Spec{Type: "contains", Value: "refund"}, Output{Text: "We will refund you"}, true},
		{"contains is case sensitive", Spec{Type: "contains", Value: "Refund"}, Output{Text: "refund"}, false},
		{"contains number", Spec{Type: "contains", Value: 42}, Output{Text: "answer: 42"}, true},
		{"not-contains", Spec{Type: "not-contains", Value: "sorry"}, Output{Text: "Sorry!"}, true},
		{"icontains", Spec{Type: "icontains", Value: "REFUND"}, Output{Text: "a refund"}, true},
		{"not-icontains", Spec{Type: "not-icontains", Value: "sorry"}, Output{Text: "SORRY"}, false},
		{"contains-any", Spec{Type: "contains-any", Value: []any{"x", "refund"}}, Output{Text: "refund"}, true},
		{"contains-any none", Spec{Type: "contains-any", Value: []any{"x", "y"}}, Output{Text: "refund"}, false},
		{"contains-any comma string", Spec{Type: "contains-any", Value: "x, refund"}, Output{Text: "refund"}, true},
		{"contains-all", Spec{Type: "contains-all", Value: []any{"a", "b"}}, Output{Text: "a b"}, true},
		{"contains-all missing", Spec{Type: "contains-all", Value: []any{"a", "c"}}, Output{Text: "a b"}, false},
		{"icontains-all", Spec{Type: "icontains-all", Value: []any{"A", "B"}}, Output{Text: "a b"}, true},
		{"icontains-any", Spec{Type: "icontains-any", Value: []any{"Q", "B"}}, Output{Text: "a b"}, true},
		{"not-contains-all", Spec{Type: "not-contains-all", Value: []any{"a", "c"}}, Output{Text: "a b"}, true},
		{"starts-with", Spec{Type: "starts-with", Value: "Dear"}, Output{Text: "Dear customer"}, true},
		{"starts-with fails", Spec{Type: "starts-with", Value: "Dear"}, Output{Text: " Dear"}, false},
		{"regex", Spec{Type: "regex", Value: `^\d{3}-\d{4}$`}, Output{Text: "555-1234"}, true},
		{"not-regex", Spec{Type: "not-regex", Value: `\d`}, Output{Text: "no digits"}, true},
		{"is-json", Spec{Type: "is-json"}, Output{Text: ` {"a": [1]} `}, true},
		{"is-json fails", Spec{Type: "is-json"}, Output{Text: `{"a":`}, false},
		{"is-json with schema", Spec{Type: "is-json", Value: schema}, Output{Text: `{"ok": true}`}, true},
		{"is-json schema mismatch", Spec{Type: "is-json", Value: schema}, Output{Text: `{"ok": "yes"}`}, false},
		{"json-schema", Spec{Type: "json-schema", Value: schema}, Output{Text: `{"ok": false}`}, true},
		{"json-schema missing key", Spec{Type: "json-schema", Value: schema}, Output{Text: `{}`}, false},
		{"contains-json", Spec{Type: "contains-json"}, Output{Text: "Here: ```json\n{\"a\": 1}\n``` done"}, true},
		{"contains-json none", Spec{Type: "contains-json"}, Output{Text: "no json here"}, false},
		{"contains-json loose, as promptfoo", Spec{Type: "contains-json"}, Output{Text: "{a: 1, b: [1,2,],} // note"}, true},
		{"contains-json object in array", Spec{Type: "contains-json", Value: schema}, Output{Text: `[{"ok": false}]`}, true},
		{"contains-json bare array", Spec{Type: "contains-json"}, Output{Text: `[1, 2]`}, false},
		{"invalid regex fails", Spec{Type: "regex", Value: "(?<x>a"}, Output{Text: "a"}, false},
		{"invalid regex fails negated too", Spec{Type: "not-regex", Value: "(?<x>a"}, Output{Text: "a"}, false},
		{"regex lookahead", Spec{Type: "regex", Value: "foo(?=bar)"}, Output{Text: "foobar"}, true},
		{"regex backreference", Spec{Type: "regex", Value: `(\w)\1`}, Output{Text: "hello"}, true},
		{"regex dot stops at CR", Spec{Type: "regex", Value: "a.b"}, Output{Text: "a\rb"}, false},
		{"regex \\s matches NBSP", Spec{Type: "regex", Value: `a\sb`}, Output{Text: "a\u00a0b"}, true},
		{"icontains final sigma", Spec{Type: "icontains", Value: "ΟΔΟΣ"}, Output{Text: "οδος"}, true},
		{"contains small number as JS", Spec{Type: "contains", Value: 0.00001}, Output{Text: "0.00001"}, true},
		{"equals number as text", Spec{Type: "equals", Value: 42}, Output{Text: "42.0"}, false},
		{"contains-any CSV quotes", Spec{Type: "contains-any", Value: `"a, b", c`}, Output{Text: "a, b"}, true},
		{"is-json 1e400", Spec{Type: "is-json"}, Output{Text: "1e400"}, true},
		{"is-json no unicode trim", Spec{Type: "is-json"}, Output{Text: "\u00a0{}"}, false},
		{"is-json format email", Spec{Type: "is-json", Value: map[string]any{"type": "string", "format": "email"}}, Output{Text: `"nope"`}, false},
		{"contains-json schema picks matching", Spec{Type: "contains-json", Value: schema}, Output{Text: `[1] then {"ok": true}`}, true},
		{"not-is-json", Spec{Type: "not-is-json"}, Output{Text: "plain"}, true},
		{"levenshtein default 5", Spec{Type: "levenshtein", Value: "kitten"}, Output{Text: "sitting"}, true},
		{"levenshtein threshold", Spec{Type: "levenshtein", Value: "kitten", Threshold: f(2)}, Output{Text: "sitting"}, false},
		{"levenshtein zero", Spec{Type: "levenshtein", Value: "abc", Threshold: f(0)}, Output{Text: "abc"}, true},
		{"cost under", Spec{Type: "cost", Threshold: f(0.01)}, Output{CostUSD: 0.002, CostKnown: true}, true},
		{"cost over", Spec{Type: "cost", Threshold: f(0.001)}, Output{CostUSD: 0.002, CostKnown: true}, false},
		{"cost unknown fails", Spec{Type: "cost", Threshold: f(1)}, Output{}, false},
		{"not-cost unknown fails", Spec{Type: "not-cost", Threshold: f(1)}, Output{}, false},
		{"latency under", Spec{Type: "latency", Threshold: f(500)}, Output{Latency: 499 * time.Millisecond}, true},
		{"latency over", Spec{Type: "latency", Threshold: f(500)}, Output{Latency: 501 * time.Millisecond}, false},
		{"var in contains", Spec{Type: "icontains", Value: "{{ name }}"}, Output{Text: "Hi ALICE", Vars: map[string]any{"name": "alice"}}, true},
		{"nested var", Spec{Type: "equals", Value: "{{c.id}}"}, Output{Text: "7", Vars: map[string]any{"c": map[string]any{"id": 7}}}, true},
		{"var in list", Spec{Type: "contains-all", Value: []any{"{{a}}", "b"}}, Output{Text: "x b", Vars: map[string]any{"a": "x"}}, true},
		{"var in regex", Spec{Type: "regex", Value: "^{{w}}$"}, Output{Text: "hey", Vars: map[string]any{"w": "h.y"}}, true},
		{"unknown var left as is", Spec{Type: "contains", Value: "{{nope}}"}, Output{Text: "{{nope}}"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := mustCompile(t, tt.spec)
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, tt.out, Env{})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			r := g.Results[0]
			if r.Pass != tt.wantPass || g.Pass != tt.wantPass {
				t.Errorf("pass = %v (grade %v), want %v; reason %q", r.Pass, g.Pass, tt.wantPass, r.Reason)
			}
			if wantScore := map[bool]float64{true: 1, false: 0}[tt.wantPass]; r.Score != wantScore {
				t.Errorf("score = %v, want %v", r.Score, wantScore)
			}
			if r.Type != tt.spec.Type {
				t.Errorf("result type = %q, want %q", r.Type, tt.spec.Type)
			}
		})
	}
}

func TestCostUnknownReason(t *testing.T) {
	t.Parallel()
	g, err := Evaluate(context.Background(), []Assertion{mustCompile(t, Spec{Type: "cost", Threshold: f(1)})}, nil, Output{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(g.Reason, "cost unknown") {
		t.Errorf("reason = %q, want it to start with %q", g.Reason, "cost unknown")
	}
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown type with suggestion", Spec{Type: "icontain", Value: "x"}, "unknown assertion type icontain (did you mean icontains?)"},
		{"unknown negated type", Spec{Type: "not-regx", Value: "x"}, "unknown assertion type not-regx (did you mean regex?)"},
		{"no type", Spec{Value: "x"}, "needs a type"},
		{"contains without value", Spec{Type: "contains"}, "non-empty string or a number"},
		{"contains boolean", Spec{Type: "contains", Value: true}, "non-empty string or a number"},
		{"starts-with number", Spec{Type: "starts-with", Value: 42}, "non-empty string"},
		{"unknown format", Spec{Type: "is-json", Value: map[string]any{"type": "string", "format": "frobnicate"}}, "unknown format"},
		{"draft 2020 keyword", Spec{Type: "is-json", Value: map[string]any{"prefixItems": []any{}}}, "unknown keyword"},
		{"file value", Spec{Type: "contains", Value: "file://x.txt"}, "file:// values are not supported"},
		{"contains-any map", Spec{Type: "contains-any", Value: map[string]any{"a": 1}}, "list of strings"},
		{"contains-any empty string", Spec{Type: "contains-any", Value: ""}, "list of strings"},
		{"contains-all number", Spec{Type: "contains-all", Value: 5}, "list of strings"},
		{"regex not a string", Spec{Type: "regex", Value: 5}, "regular expression string"},
		{"bad schema", Spec{Type: "json-schema", Value: map[string]any{"type": 5}}, "not a valid JSON Schema"},
		{"json-schema without value", Spec{Type: "json-schema"}, "value must be a JSON Schema object"},
		{"cost without threshold", Spec{Type: "cost"}, "threshold is required"},
		{"latency without threshold", Spec{Type: "not-latency"}, "threshold is required"},
		{"levenshtein list", Spec{Type: "levenshtein", Value: []any{"a"}}, "expected string"},
		{"rubric empty", Spec{Type: "llm-rubric", Value: " "}, "rubric text"},
		{"negative weight", Spec{Type: "contains", Value: "x", Weight: f(-1)}, "weight must be"},
		{"provider on contains", Spec{Type: "contains", Value: "x", Provider: "gpt"}, "provider applies only to llm-rubric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile("evals/x.yaml", 7, tt.spec)
			e, ok := err.(*diag.Error)
			if !ok {
				t.Fatalf("Compile error = %v (%T), want *diag.Error", err, err)
			}
			if e.File != "evals/x.yaml" || e.Line != 7 || !strings.Contains(e.Msg, tt.want) {
				t.Errorf("error = %v, want %q at evals/x.yaml:7", e, tt.want)
			}
		})
	}
}

func TestScoring(t *testing.T) {
	t.Parallel()
	pass := Spec{Type: "contains", Value: "a"}
	fail := Spec{Type: "contains", Value: "z"}
	weighted := func(s Spec, w float64) Spec { s.Weight = &w; return s }
	tests := []struct {
		name      string
		specs     []Spec
		threshold *float64
		want      Grade
	}{
		{"no assertions", nil, nil, Grade{Pass: true, Score: 1, Reason: "no assertions"}},
		{"all pass", []Spec{pass, pass}, nil, Grade{Pass: true, Score: 1, Reason: "all assertions passed"}},
		{"one fails", []Spec{pass, fail}, nil, Grade{Pass: false, Score: 0.5, Reason: `Expected output "abc" to contain "z"`}},
		{"weights", []Spec{weighted(pass, 3), fail}, nil, Grade{Pass: false, Score: 0.75, Reason: `Expected output "abc" to contain "z"`}},
		{"threshold met", []Spec{weighted(pass, 3), fail}, f(0.75), Grade{Pass: true, Score: 0.75, Reason: "score 0.75 ≥ threshold 0.75"}},
		{"threshold missed", []Spec{pass, fail}, f(0.6), Grade{Pass: false, Score: 0.5, Reason: "score 0.50 < threshold 0.6"}},
		{"zero weight is forced to pass, as in promptfoo", []Spec{pass, weighted(fail, 0)}, nil, Grade{Pass: true, Score: 1, Reason: "all assertions passed"}},
		{"zero weight ignored by threshold", []Spec{pass, weighted(fail, 0)}, f(1), Grade{Pass: true, Score: 1, Reason: "score 1.00 ≥ threshold 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var asserts []Assertion
			for _, s := range tt.specs {
				asserts = append(asserts, mustCompile(t, s))
			}
			g, err := Evaluate(context.Background(), asserts, tt.threshold, Output{Text: "abc"}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			g.Results = nil
			if diff := cmp.Diff(tt.want, g); diff != "" {
				t.Errorf("grade mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFailureReasons checks that every failing assertion says what it expected
// and what it got, promptfoo style, with "not to" for a negated one.
func TestFailureReasons(t *testing.T) {
	t.Parallel()
	schema := map[string]any{"type": "object", "required": []any{"ok"}}
	long := strings.Repeat("ab", 100)
	tests := []struct {
		name string
		spec Spec
		out  Output
		want string
	}{
		{"equals", Spec{Type: "equals", Value: "positive"}, Output{Text: "negative"}, `Expected output "negative" to equal "positive"`},
		{"not-equals", Spec{Type: "not-equals", Value: "positive"}, Output{Text: "positive"}, `Expected output "positive" not to equal "positive"`},
		{"equals object, not JSON", Spec{Type: "equals", Value: map[string]any{"a": 1}}, Output{Text: "a=1"}, `Expected output "a=1" to equal {"a":1} (it is not JSON)`},
		{"equals object", Spec{Type: "equals", Value: map[string]any{"a": 1}}, Output{Text: `{"a":2}`}, `Expected output "{\"a\":2}" to equal {"a":1}`},
		{"long output is cut", Spec{Type: "equals", Value: "x"}, Output{Text: long}, `Expected output "` + long[:80] + `"… to equal "x"`},
		{"contains", Spec{Type: "contains", Value: "refund"}, Output{Text: "no"}, `Expected output "no" to contain "refund"`},
		{"not-contains", Spec{Type: "not-contains", Value: "sorry"}, Output{Text: "so sorry"}, `Expected output "so sorry" not to contain "sorry"`},
		{"icontains", Spec{Type: "icontains", Value: "Refund"}, Output{Text: "no"}, `Expected output "no" to contain "Refund" (ignoring case)`},
		{"starts-with", Spec{Type: "starts-with", Value: "Dear"}, Output{Text: "Hi"}, `Expected output "Hi" to start with "Dear"`},
		{"contains-any", Spec{Type: "contains-any", Value: []any{"x", "y"}}, Output{Text: "z"}, `Expected output "z" to contain any of ["x" "y"]`},
		{"not-contains-any", Spec{Type: "not-contains-any", Value: []any{"x", "y"}}, Output{Text: "y"}, `Expected output "y" not to contain any of ["x" "y"] (found ["y"])`},
		{"contains-all", Spec{Type: "contains-all", Value: []any{"a", "c"}}, Output{Text: "a b"}, `Expected output "a b" to contain all of ["a" "c"] (missing ["c"])`},
		{"icontains-all", Spec{Type: "icontains-all", Value: []any{"A", "C"}}, Output{Text: "a b"}, `Expected output "a b" to contain all of ["A" "C"] (ignoring case) (missing ["C"])`},
		{"regex", Spec{Type: "regex", Value: `^\d+$`}, Output{Text: "abc"}, `Expected output "abc" to match /^\d+$/`},
		{"not-regex", Spec{Type: "not-regex", Value: `\d`}, Output{Text: "a1"}, `Expected output "a1" not to match /\d/`},
		{"is-json", Spec{Type: "is-json"}, Output{Text: "{"}, `Expected output "{" to be valid JSON (it is not JSON)`},
		{"not-is-json", Spec{Type: "not-is-json"}, Output{Text: "{}"}, `Expected output "{}" not to be valid JSON`},
		{"json-schema", Spec{Type: "json-schema", Value: schema}, Output{Text: "{}"}, `Expected output "{}" to be JSON matching the schema (at '': missing property 'ok')`},
		{"contains-json", Spec{Type: "contains-json"}, Output{Text: "none"}, `Expected output "none" to contain JSON (no JSON object found)`},
		{"levenshtein", Spec{Type: "levenshtein", Value: "kitten", Threshold: f(2)}, Output{Text: "sitting"}, `Expected output "sitting" to be within edit distance 2 of "kitten" (distance 3)`},
		{"cost", Spec{Type: "cost", Threshold: f(0.001)}, Output{CostUSD: 0.002, CostKnown: true}, `Expected cost $0.002000 to be at most $0.001`},
		{"latency", Spec{Type: "latency", Threshold: f(500)}, Output{Latency: 900 * time.Millisecond}, `Expected latency 900 ms to be at most 500 ms`},
		{"not-latency", Spec{Type: "not-latency", Threshold: f(500)}, Output{Latency: 100 * time.Millisecond}, `Expected latency 100 ms not to be at most 500 ms`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := Evaluate(context.Background(), []Assertion{mustCompile(t, tt.spec)}, nil, tt.out, Env{})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if g.Pass {
				t.Fatalf("assertion passed; this table holds failures")
			}
			if diff := cmp.Diff(tt.want, g.Results[0].Reason); diff != "" {
				t.Errorf("reason (-want +got):\n%s", diff)
			}
		})
	}
}
