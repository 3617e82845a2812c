package promptfoo

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/assert"
)

// TestAssertionFromStringTools: the tool and trajectory types are read from a
// CSV cell as promptfoo reads them, colon in the name and all.
func TestAssertionFromStringTools(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want assert.Spec
	}{
		{"is-valid-openai-tools-call", assert.Spec{Type: "is-valid-openai-tools-call"}},
		{"not-is-valid-openai-tools-call", assert.Spec{Type: "not-is-valid-openai-tools-call"}},
		{"trajectory:tool-used:get_weather", assert.Spec{Type: "trajectory:tool-used", Value: "get_weather"}},
		{"trajectory:tool-used: get_weather", assert.Spec{Type: "trajectory:tool-used", Value: "get_weather"}},
		{"not-trajectory:tool-used:get_time", assert.Spec{Type: "not-trajectory:tool-used", Value: "get_time"}},
		{"tool-call-f1: get_weather, get_time", assert.Spec{Type: "tool-call-f1", Value: "get_weather, get_time"}},
		// As in promptfoo, a threshold on a type that takes none from a cell is dropped.
		{"tool-call-f1(0.5):get_weather", assert.Spec{Type: "tool-call-f1", Value: "get_weather"}},
		{`trajectory:tool-args-match:{"name":"get_weather","args":{"city":"Paris"}}`,
			assert.Spec{Type: "trajectory:tool-args-match", Value: map[string]any{"name": "get_weather", "args": map[string]any{"city": "Paris"}}}},
		{`trajectory:tool-sequence: ["lookup_order", "track_shipment"]`,
			assert.Spec{Type: "trajectory:tool-sequence", Value: []any{"lookup_order", "track_shipment"}}},
		{`not-trajectory:step-count:{"max": 2}`, assert.Spec{Type: "not-trajectory:step-count", Value: map[string]any{"max": 2.0}}},
		{"trajectory:goal-success: Tell the user the weather", assert.Spec{Type: "trajectory:goal-success", Value: "Tell the user the weather"}},
		// Text that is not JSON stays text; the assertion refuses it at load.
		{"trajectory:tool-sequence:a,b", assert.Spec{Type: "trajectory:tool-sequence", Value: "a,b"}},
		// The colon after the type still separates the value.
		{"contains:a:b", assert.Spec{Type: "contains", Value: "a:b"}},
		{"contains-any:a,b", assert.Spec{Type: "contains-any", Value: "a,b"}},
		// Not a type: plain text, compared with equals.
		{"trajectory:tool-use:x", assert.Spec{Type: "equals", Value: "trajectory:tool-use:x"}},
		{"trajectory: fine", assert.Spec{Type: "equals", Value: "trajectory: fine"}},
		{"tool-call-f2:x", assert.Spec{Type: "equals", Value: "tool-call-f2:x"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, assertionFromString(tt.in)); diff != "" {
			t.Errorf("assertionFromString(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

// FuzzAssertionFromString: no cell makes the reader panic, a cell it reads
// as an assertion names a known type, a known type followed by ":" and any
// text is read as that type, and whatever it returns compiles or is refused
// with an error (never a panic).
func FuzzAssertionFromString(f *testing.F) {
	for _, s := range []string{"contains: x", "trajectory:tool-used:get_weather", `trajectory:tool-args-match:{"name":"a","args":{}}`,
		"tool-call-f1(0.5):a,b", "not-is-valid-openai-tools-call", "levenshtein(2): kitten", "grade: polite", "plain"} {
		f.Add(s)
	}
	known := assert.KnownTypes() // promptfoo's types, the ungraded ones included, and promptgate's own
	f.Fuzz(func(t *testing.T, cell string) {
		spec := assertionFromString(cell)
		typ := strings.TrimPrefix(spec.Type, "not-")
		if !slices.Contains(known, typ) {
			t.Fatalf("assertionFromString(%q) gave unknown type %q", cell, spec.Type)
		}
		if spec.Type == "equals" && spec.Value != cell && !strings.HasPrefix(cell, "equals") && !strings.HasPrefix(cell, "not-equals") {
			t.Fatalf("assertionFromString(%q) = equals %v, want the cell as is", cell, spec.Value)
		}
		_, _ = assert.Compile("t.csv", 2, spec)
		for _, k := range assert.ToolTypes {
			if got := assertionFromString(k + ":" + cell); got.Type != k && !strings.HasPrefix(k+":"+cell, "javascript:") {
				t.Fatalf("assertionFromString(%q) read type %q, want %q", k+":"+cell, got.Type, k)
			}
		}
	})
}
