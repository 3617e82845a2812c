package promptfoo

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
)

// TestNunjucksRendersPromptfooTemplates: the Nunjucks that promptfoo
// prompts use renders as promptfoo renders it.
func TestNunjucksRendersPromptfooTemplates(t *testing.T) {
	t.Parallel()
	vars := map[string]any{
		"subject": "  refund request ", "tags": []any{"billing", "urgent"}, "n": 3, "ok": true, "no": false,
		"order": map[string]any{"id": "A-1", "items": []any{"pen", "ink"}}, "html": "<b>&</b>",
	}
	tests := []struct{ name, tpl, want string }{
		{"upper", "Subject: {{ subject | upper }}", "Subject:   REFUND REQUEST "},
		{"trim and lower", "{{ subject | trim | lower }}!", "refund request!"},
		{"title and capitalize", "{{ subject | trim | title }} / {{ 'hello world' | capitalize }}", "Refund Request / Hello world"},
		{"join", "{{ tags | join(', ') }}", "billing, urgent"},
		{"dump", "{{ order | dump }}", `{"id":"A-1","items":["pen","ink"]}`},
		{"dump string", "{{ subject | trim | dump }}", `"refund request"`},
		{"dump indent", "{{ tags | dump(2) }}", "[\n  \"billing\",\n  \"urgent\"\n]"},
		{"undefined is empty", "[{{ missing }}][{{ missing.deep.er }}][{{ missing | upper }}]", "[][][]"},
		{"default", "{{ missing | default('none') }}", "none"},
		{"if elif else", "{% if n > 5 %}big{% elif n > 2 %}mid{% else %}small{% endif %}", "mid"},
		{"if on false and undefined", "{% if no %}x{% endif %}{% if missing %}y{% endif %}{% if ok %}z{% endif %}", "z"},
		{"for with loop", "{% for t in tags %}{{ loop.index }}.{{ t }}{% if not loop.last %}, {% endif %}{% endfor %}", "1.billing, 2.urgent"},
		{"for over an object", "{% for k, v in order %}{{ k }}={{ v }};{% endfor %}", `id=A-1;items=["pen","ink"];`},
		{"whole values print as JSON", "{{ order }} {{ tags }} {{ ok }} {{ no }} {{ n }}", `{"id":"A-1","items":["pen","ink"]} ["billing","urgent"] true false 3`},
		{"loop.first is JSON", "{% for t in tags %}{{ loop.first }} {% endfor %}", "true false "},
		{"path access", "{{ order.id }} {{ order.items[1] }} {{ order['id'] }}", "A-1 ink A-1"},
		{"set", "{% set who = order.id | lower %}{{ who }}", "a-1"},
		{"length and replace", "{{ tags | length }} {{ subject | replace('refund', 'return') | trim }}", "2 return request"},
		{"comments and whitespace control", "{# note #}a {%- if ok %} b {%- endif %}", "a b"},
		{"raw", "{% raw %}{{ subject | upper }}{% endraw %}", "{{ subject | upper }}"},
		{"no autoescape", "{{ html | trim }}", "<b>&</b>"},
		{"string literal with a pipe", `{{ "a | b" }}`, "a | b"},
		{"block tags keep their newlines", "{% for t in tags %}\n{{ t }}\n{% endfor %}", "\nbilling\n\nurgent\n"},
		{"indented block tag keeps its indent", "Items:\n  {% if ok %}yes{% endif %}\n", "Items:\n  yes\n"},
		{"space before a closing tag", "{% for t in tags %}{{ t }} {% endfor %}", "billing urgent "},
		{"markers strip", "a \n{%- if ok -%}\n  x  \n{%- endif -%}\n b", "axb"},
		{"marker strips one side only", "{% if ok -%}\n  x\n{% endif %}", "x\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := CompileNunjucks(tt.tpl)
			if err != nil {
				t.Fatalf("compile %q: %v", tt.tpl, err)
			}
			got, err := n.Render(vars)
			if err != nil {
				t.Fatalf("render %q: %v", tt.tpl, err)
			}
			if got != tt.want {
				t.Errorf("%q rendered %q, want %q", tt.tpl, got, tt.want)
			}
		})
	}
}

// TestNunjucksRefusesWhatItCannotRender: a template promptgate cannot
// render is refused at its line, never sent as written.
func TestNunjucksRefusesWhatItCannotRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tpl string
		line      int
		want      string
	}{
		{"unknown filter", "Hi\n{{ name | truncate(5) }}", 2, `filter "truncate"`},
		{"nunjucks-only filter", "a\nb\n{{ text | nl2br }}", 3, `filter "nl2br"`},
		{"include", "{% include 'header.njk' %}", 1, "include"},
		{"unclosed if", "{% if x %}\nopen", 1, "unclosed if"},
		{"unclosed tag", "line\n{{ x", 2, "never closed"},
		{"unclosed comment", "a\nb\n{# note", 3, "never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := CompileNunjucks(tt.tpl)
			var te *TemplateError
			if !errors.As(err, &te) {
				t.Fatalf("compile %q: %v, want a TemplateError", tt.tpl, err)
			}
			if te.Line != tt.line || !strings.Contains(te.Msg, tt.want) {
				t.Errorf("line %d %q, want line %d and %q", te.Line, te.Msg, tt.line, tt.want)
			}
		})
	}
}

// TestNunjucksPromptInConfig: a promptfoo prompt file using filters renders
// them before the model sees it, and one promptgate cannot render refuses
// the config at the file and line of the tag.
func TestNunjucksPromptInConfig(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"promptfooconfig.yaml": {Data: []byte("prompts: [file://p.txt]\nproviders: [openai:chat:gpt-4.1-mini]\ntests:\n  - vars: {subject: late parcel, order: {tags: [a, b]}}\n")},
		"p.txt":                {Data: []byte("Subject: {{ subject | upper }}\n{% for t in order.tags %}- {{ t }}\n{% endfor %}")},
	}
	msgs, err := renderFirstCase(t, fsys)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := msgs[0].Content, "Subject: LATE PARCEL\n- a\n- b\n"; got != want {
		t.Errorf("rendered %q, want %q", got, want)
	}
	c, err := Load(fsys, "promptfooconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range c.Warnings {
		if strings.Contains(w.Error(), "Nunjucks") {
			t.Errorf("a rendered template is still warned about: %v", w)
		}
	}

	fsys["p.txt"] = &fstest.MapFile{Data: []byte("Subject: {{ subject }}\n\nBody: {{ body | striptags }}\n")}
	c, err = Load(fsys, "promptfooconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := prompt.Load(fsys, "prompts")
	_, err = c.AddTo(set, config.Default())
	if err == nil || !strings.Contains(err.Error(), `p.txt:3: prompt`) || !strings.Contains(err.Error(), `"striptags"`) {
		t.Errorf("err = %v, want p.txt:3 naming striptags", err)
	}
}

// FuzzNunjucks: no template makes the rewrite, the compiler or the renderer
// panic; a template with no tag renders as written; an error is a
// TemplateError with a line inside the template.
func FuzzNunjucks(f *testing.F) {
	for _, s := range []string{"Subject: {{ subject | upper }}", "{% for k, v in o %}{{k}}{% endfor %}", "{{ o | dump(2) }}",
		"{% raw %}{{ x | nope }}{% endraw %}{{ y }}", "{% if a %}{{ a.b[0] }}{% else %}{# c #}{% endif %}", "{{ 'x' ~ y | join(',') }}", "{{", "{%", "plain",
		"{% for i in range(99999999) %}{% endfor %}", "{% for i in range(999) %}{% for j in range(999) %}{% endfor %}{% endfor %}",
		"{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "{{ 'ab' * 99 }}", "{{ subject * -1 }}",
		"{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"} {
		f.Add(s)
	}
	vars := map[string]any{"subject": "s", "o": map[string]any{"k": []any{1, "two"}}, "a": map[string]any{"b": []any{true}}, "y": []any{"p", "q"}}
	f.Fuzz(func(t *testing.T, tpl string) {
		if len(tpl) > 2000 {
			return
		}
		n, err := CompileNunjucks(tpl)
		if err != nil {
			var te *TemplateError
			if !errors.As(err, &te) || te.Line < 1 || te.Line > strings.Count(tpl, "\n")+1+strings.Count(tpl, "\r") {
				t.Fatalf("CompileNunjucks(%q): %v, want a TemplateError inside the template", tpl, err)
			}
			return
		}
		out, err := n.Render(vars)
		if err == nil && !strings.ContainsAny(tpl, "{}") && out != tpl {
			t.Fatalf("%q has no tag but rendered %q", tpl, out)
		}
	})
}
