package promptfoo

import (
	"testing"
	"testing/fstest"
)

// FuzzLoad checks that no config text makes the reader panic, and that a
// config it accepts has at least one prompt.
func FuzzLoad(f *testing.F) {
	f.Add("prompts: [hi {{name}}]\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n  - vars: {name: [a, b]}\n    assert: [{type: contains, value: a}]\n")
	f.Add("prompts: file://p.txt\ntests: file://t.csv\ndefaultTest: {vars: {x: 1}}\n")
	f.Add("version: 3\nprompts: [{id: x, label: y}]\n")
	f.Add("prompts: [hi {{x}}]\nproviders: file://pr.yaml\ntests:\n  - vars: v*.yaml\n  - vars: [file://v.yaml, v.yaml]\n")
	f.Fuzz(func(t *testing.T, config string) {
		fsys := fstest.MapFS{
			"c.yaml":  {Data: []byte(config)},
			"p.txt":   {Data: []byte("a {{x}}\n---\nb")},
			"t.csv":   {Data: []byte("x,__expected\n1,contains: 1\n")},
			"v.yaml":  {Data: []byte("x: [1, 2]\ny: file://p.txt\n")},
			"pr.yaml": {Data: []byte("- openai:chat:m\n- {id: openai:n, config: {temperature: 0}}\n")},
		}
		cfg, err := Load(fsys, "c.yaml")
		if err == nil && len(cfg.Prompts) == 0 {
			t.Fatalf("Load accepted %q with no prompts", config)
		}
	})
}

// FuzzRender checks that rendering never panics and leaves tag-free text
// alone.
func FuzzRender(f *testing.F) {
	f.Add("Hi {{ name }} {{a.b}} {{")
	f.Fuzz(func(t *testing.T, tpl string) {
		out := Render(tpl, map[string]any{"name": "x", "a": map[string]any{"b": 1}})
		if tagRe.FindStringIndex(tpl) == nil && out != tpl {
			t.Fatalf("Render(%q) = %q, want it unchanged", tpl, out)
		}
	})
}
