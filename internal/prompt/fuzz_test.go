package prompt

import (
	"errors"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/diag"
)

// FuzzParse checks that no prompt file makes Parse, Load or Render panic, and
// that every problem Parse reports is a diag error naming the file.
func FuzzParse(f *testing.F) {
	f.Add([]byte("---\nmodel: gpt-4.1-mini\nconfig:\n  temperature: 0.2\ninput:\n  schema:\n    x: string\n---\n{{role \"system\"}}S{{role \"user\"}}{{x}}"))
	f.Add([]byte("Hello {{x}} {{> part}}"))
	f.Add([]byte("---\n---\n{{#each x}}{{this}}{{/each}}"))
	f.Add([]byte("---\ninput:\n  schema:\n    k(enum): [a, b]\n    o?(object):\n      n: integer\n---\n{{json o}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("prompts/f.prompt", data)
		if err != nil {
			if !diag.IsInput(err) {
				t.Fatalf("Parse error is not a diag error: %v", err)
			}
			return
		}
		s, err := Load(fstest.MapFS{
			"prompts/f.prompt":     &fstest.MapFile{Data: data},
			"prompts/_part.prompt": &fstest.MapFile{Data: []byte("[part]\n")},
		}, "prompts")
		if err != nil {
			var l diag.List
			if !errors.As(err, &l) {
				t.Fatalf("Load error is not a diag.List: %v", err)
			}
			return
		}
		loaded, _ := s.Get(p.Name[len("prompts/"):], p.Variant)
		_, _ = s.Render(loaded, map[string]any{"x": "y", "o": map[string]any{"n": 1}})
		_ = loaded.CheckVars(map[string]any{"x": 1})
	})
}
