package suite

import (
	"testing"

	"github.com/promptgate/promptgate/internal/diag"
)

// FuzzParse checks that no suite file makes Parse panic and that every problem
// it reports is a diag error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(fullSuite))
	f.Add([]byte("prompt: p\ntests:\n  - vars: {a: [1, {b: c}]}\n    assert:\n      - type: regex\n        value: '^a+$'\n"))
	f.Add([]byte("prompt: p\ntests:\n  - assert:\n      - type: json-schema\n        value: {type: object}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("evals/f.yaml", data)
		if err != nil {
			if !diag.IsInput(err) {
				t.Fatalf("Parse error is not a diag error: %v", err)
			}
			return
		}
		if len(s.Tests) == 0 {
			t.Fatal("Parse accepted a suite without tests")
		}
	})
}
