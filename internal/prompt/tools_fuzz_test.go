package prompt

import (
	"encoding/json"
	"testing"

	"github.com/promptgate/promptgate/internal/diag"
)

// FuzzParseTool checks that no tool file makes ParseTool panic, that every
// problem is a diag error, and that a parsed tool always offers an object
// schema the provider accepts.
func FuzzParseTool(f *testing.F) {
	f.Add([]byte(weatherTool))
	f.Add([]byte(`{"type": "function", "function": {"name": "t", "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}}}}`))
	f.Add([]byte("name: t\ninputSchema:\n  type: object\n  properties:\n    x: {type: string}\n"))
	f.Add([]byte("name: t\ninput:\n  k(enum): [a, b]\n  o?(object):\n    n: integer\n"))
	f.Add([]byte("name: t\nparameters: 3\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ParseTool("tools/t.yaml", data)
		if err != nil {
			if !diag.IsInput(err) {
				t.Fatalf("ParseTool error is not a diag error: %v", err)
			}
			return
		}
		var params map[string]any
		if err := json.Unmarshal(tf.Tool.Parameters, &params); err != nil || params["type"] != "object" {
			t.Fatalf("parsed tool's parameters are not an object schema: %s", tf.Tool.Parameters)
		}
		if tf.Tool.Name != "t" {
			t.Fatalf("parsed tool named %q from tools/t.yaml", tf.Tool.Name)
		}
	})
}
