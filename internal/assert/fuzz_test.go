package assert

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzEvaluate checks that no model output (and no judge reply) makes grading
// panic, and that every score stays in [0, 1].
func FuzzEvaluate(f *testing.F) {
	f.Add("Here is JSON: {\"ok\": true} and [1, 2", `{"reason":"r","pass":true,"score":0.5}`)
	f.Add("{{{{[[[[", "```json\n{\"pass\": false}\n```")
	f.Add("", "")
	schema := map[string]any{"type": "object", "properties": map[string]any{"ok": map[string]any{"type": "boolean"}}}
	var asserts []Assertion
	for _, s := range []Spec{
		{Type: "contains-json", Value: schema},
		{Type: "not-is-json"},
		{Type: "equals", Value: map[string]any{"ok": true}},
		{Type: "levenshtein", Value: "expected {{x}}"},
		{Type: "icontains-all", Value: []any{"a", "{{x}}"}},
		{Type: "regex", Value: "^{{x}}"},
		{Type: "llm-rubric", Value: "rubric"},
	} {
		a, err := Compile("f.yaml", 1, s)
		if err != nil {
			f.Fatalf("Compile(%+v): %v", s, err)
		}
		asserts = append(asserts, a)
	}
	f.Fuzz(func(t *testing.T, text, judgeReply string) {
		out := Output{Text: text, Vars: map[string]any{"x": text}}
		g, err := Evaluate(context.Background(), asserts, nil, out, Env{Judge: &fakeJudge{reply: judgeReply}, JudgeModel: "j"})
		if err != nil {
			return // an unreadable judge reply is an error by design
		}
		for _, r := range g.Results {
			if r.Score < 0 || r.Score > 1 {
				t.Fatalf("%s scored %v, outside [0, 1]", r.Type, r.Score)
			}
		}
	})
}

// FuzzExtractJSONObjects checks that promptfoo-style loose JSON extraction
// never panics and only returns objects that survive a JSON round trip.
func FuzzExtractJSONObjects(f *testing.F) {
	f.Add("text {a: 1, b: [1,2,],} // c")
	f.Add(`[{"ok": true}] {"x": "}"}`)
	f.Add("{{{{ {'a': 'b'")
	f.Fuzz(func(t *testing.T, s string) {
		for _, obj := range extractJSONObjects(s) {
			if _, err := json.Marshal(obj); err != nil {
				t.Fatalf("object from %q is not JSON-encodable: %v", s, err)
			}
		}
	})
}

// FuzzParseCSVList checks that splitting a list value never panics and that
// a list without quotes splits into the trimmed comma-separated fields.
func FuzzParseCSVList(f *testing.F) {
	f.Add(`"a, b", c`)
	f.Add(`"say ""hi""", \"x\", bye,,`)
	f.Add(`"unterminated`)
	f.Fuzz(func(t *testing.T, s string) {
		items, err := parseCSVList(s)
		if err != nil || strings.ContainsRune(s, '"') {
			return
		}
		for _, it := range items {
			if strings.Contains(it, ",") {
				t.Fatalf("parseCSVList(%q) gave item %q with a comma", s, it)
			}
		}
	})
}
