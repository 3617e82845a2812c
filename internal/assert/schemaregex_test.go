package assert

import (
	"context"
	"strings"
	"testing"
)

// TestSchemaPatternIsJavaScript: a JSON Schema pattern is a JavaScript
// regular expression (ajv's new RegExp(p, "u")), so lookaround and
// backreferences work as in promptfoo.
func TestSchemaPatternIsJavaScript(t *testing.T) {
	t.Parallel()
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"code":  map[string]any{"type": "string", "pattern": `^(?=.*\d)[A-Z0-9]{6}$`},
			"twice": map[string]any{"type": "string", "pattern": `^(\w+)-\1$`},
			"pair":  map[string]any{"type": "string", "pattern": `^(.)-\1$`},
		},
		"patternProperties": map[string]any{`^x-(?!internal)`: map[string]any{"type": "number"}},
	}
	tests := []struct {
		name, output string
		pass         bool
	}{
		{"lookahead holds", `{"code": "ABC123", "twice": "ab-ab"}`, true},
		{"lookahead fails", `{"code": "ABCDEF"}`, false},
		{"backreference fails", `{"twice": "ab-cd"}`, false},
		{"negative lookahead in patternProperties applies", `{"x-rate": "high"}`, false},
		{"negative lookahead in patternProperties skips", `{"x-internal": "high"}`, true},
		{"astral character is one character under u", `{"pair": "😀-😀"}`, true},
	}
	a := mustCompile(t, Spec{Type: "is-json", Value: schema})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: tt.output}, Env{})
			if err != nil || g.Pass != tt.pass {
				t.Errorf("%s: pass=%v (reason %q) err=%v, want pass=%v", tt.output, g.Pass, g.Reason, err, tt.pass)
			}
		})
	}
	if _, err := Compile("evals/x.yaml", 3, Spec{Type: "is-json", Value: map[string]any{"type": "string", "pattern": "(?i)abc"}}); err == nil || !strings.Contains(err.Error(), "inline flags") {
		t.Errorf("pattern with an inline flag compiled (err %v); JavaScript has none", err)
	}
}
