package promptfoo

import (
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
)

// TestNunjucksLimitsStopHostileTemplates: each bound stops a template
// written to exhaust it, with an error at the template's line, and the
// render returns instead of running on.
func TestNunjucksLimitsStopHostileTemplates(t *testing.T) {
	t.Parallel()
	xs := make([]any, 100)
	for i := range xs {
		xs[i] = i
	}
	vars := map[string]any{"xs": xs, "big": strings.Repeat("z", 1024), "s": "ab"}
	// Allocation is counted per process and the tests run in parallel, so
	// only the test of that bound keeps one; a loaded CI machine must not
	// reach the deadline first either.
	roomy := DefaultLimits
	roomy.MaxAlloc, roomy.Deadline = math.MaxUint64, time.Hour
	tight := roomy
	tight.MaxAlloc = 4 << 20
	late := roomy
	late.Deadline = -time.Second
	tests := []struct {
		name, tpl string
		limits    Limits
		line      int
		want      string
	}{
		{"huge range", "Hi\n{% for i in range(100000000) %}x{% endfor %}", roomy, 2, "range() of 100000000 items is over promptgate's limit of 10000"},
		{"huge range with a step", "{{ range(0, 10000000000, 3) | length }}", roomy, 1, "range() of 3333333334 items"},
		{"nested ranges", "{% for i in range(1000) %}\n{% for j in range(1000) %}.{% endfor %}{% endfor %}", roomy, 2, "loops ran more than 100000 iterations"},
		{"nested loops over a var", "{% for a in xs %}{% for b in xs %}\n\n{% for c in xs %}{% endfor %}{% endfor %}{% endfor %}", roomy, 1, "loops ran more than 100000"},
		{"recursive macro", "{% macro f(n) %}{{ f(n) }}{% endmacro %}\n{{ f(1) }}", roomy, 1, "called macros more than 1000 times"},
		{"doubling string", "{% set ns = namespace(s='x') %}\n{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}", tight, 2, "allocated more than 4 MiB"},
		{"deadline", "a\nb\n{% for i in xs %}{{ i }}{% endfor %}", late, 3, "ran longer than -1s"},
		{"output size", "{% for i in range(2000) %}{{ big }}{% endfor %}", roomy, 1, "rendered text is 2048000 bytes, over promptgate's limit of 1048576"},
		{"negative repeat makes the engine panic", "{{ s * -1 }}", roomy, 0, "render Nunjucks template"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := CompileNunjucks(tt.tpl)
			if err != nil {
				t.Fatalf("compile %q: %v", tt.tpl, err)
			}
			n.limits = tt.limits
			out, err := n.Render(vars)
			if err == nil {
				t.Fatalf("%q rendered %d bytes, want an error", tt.tpl, len(out))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if tt.line == 0 {
				return
			}
			te, ok := asTemplateError(err)
			if !ok || te.Line != tt.line {
				t.Errorf("err = %#v, want a TemplateError at line %d", err, tt.line)
			}
		})
	}
}

// TestNunjucksLimitsRefuseStringRepetition: 'ab' * n (NaN in Nunjucks,
// one huge allocation in Jinja) is refused when the template compiles.
func TestNunjucksLimitsRefuseStringRepetition(t *testing.T) {
	t.Parallel()
	for _, tpl := range []string{"ok\n{{ 'ab' * 1000000000 }}", "ok\n{{ 3 *\n\"x\" }}"} {
		_, err := CompileNunjucks(tpl)
		te, ok := asTemplateError(err)
		if !ok || te.Line != 2 || !strings.Contains(te.Msg, "string repetition") {
			t.Errorf("compile %q: %v, want string repetition refused at line 2", tpl, err)
		}
	}
}

// TestNunjucksLimitsKeepOrdinaryTemplates: what a prompt does within the
// limits renders as before, range() and macros included.
func TestNunjucksLimitsKeepOrdinaryTemplates(t *testing.T) {
	t.Parallel()
	tests := []struct{ tpl, want string }{
		{"{% for i in range(3) %}{{ i }}{% endfor %}", "012"},
		{"{{ range(1, 10, 4) | join(',') }}|{{ range(5, 0, -2) | join(',') }}|{{ range(0) | length }}", "1,5,9|5,3,1|0"},
		{`{{ "range(5)" }} {{ 'a*' ~ "*b" }} {{ 2 * 3 }} {{ 2 ** 3 }}`, "range(5) a**b 6 8"},
		{"{% macro greet(who) %}Hi {{ who }}{% endmacro %}{{ greet('Ann') }}, {{ greet('Bo') }}", "Hi Ann, Hi Bo"},
		{"{%- for t in ['a', 'b'] -%}\n {{ t }}\n{%- endfor %}", "ab"},
		{"{% for i in range(10000) %}{% endfor %}done", "done"},
	}
	for _, tt := range tests {
		n, err := CompileNunjucks(tt.tpl)
		if err != nil {
			t.Fatalf("compile %q: %v", tt.tpl, err)
		}
		got, err := n.Render(nil)
		if err != nil || got != tt.want {
			t.Errorf("%q rendered %q, %v; want %q", tt.tpl, got, err, tt.want)
		}
	}
}

// TestNunjucksLimitsInConfig: a prompt file that loops past a bound fails
// its render at the prompt file's line, so the case makes no model call.
func TestNunjucksLimitsInConfig(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"promptfooconfig.yaml": {Data: []byte("prompts: [file://p.txt]\nproviders: [openai:chat:gpt-4.1-mini]\ntests:\n  - vars: {subject: x}\n")},
		"p.txt":                {Data: []byte("Subject: {{ subject | upper }}\n\n{% for i in range(99999999) %}{{ i }}{% endfor %}\n")},
	}
	_, err := renderFirstCase(t, fsys)
	if err == nil || !strings.Contains(err.Error(), "p.txt:3: prompt") || !strings.Contains(err.Error(), "range() of 99999999 items") {
		t.Errorf("err = %v, want p.txt:3 naming the range() limit", err)
	}
}

// TestNunjucksLimitsRefuseHugeIndents: an indent repeats on every line of
// its output, so a literal one over maxIndent is refused at compile time.
func TestNunjucksLimitsRefuseHugeIndents(t *testing.T) {
	t.Parallel()
	for _, tpl := range []string{"a\n{{ o | dump(77777772) }}", "a\n{{ s | indent(101) }}", "a\n{{ o | tojson(indent=5000) }}"} {
		_, err := CompileNunjucks(tpl)
		te, ok := asTemplateError(err)
		if !ok || te.Line != 2 || !strings.Contains(te.Msg, "over promptgate's limit of 100") {
			t.Errorf("compile %q: %v, want the indent refused at line 2", tpl, err)
		}
	}
	if _, err := CompileNunjucks("{{ o | dump(100) }}{{ s | indent(4) }}"); err != nil {
		t.Errorf("indents within the limit: %v", err)
	}
}

// renderFirstCase loads the promptfoo config in fsys and renders its first
// case's prompt.
func renderFirstCase(t *testing.T, fsys fstest.MapFS) ([]llm.Message, error) {
	t.Helper()
	c, err := Load(fsys, "promptfooconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := prompt.Load(fsys, "prompts")
	suites, err := c.AddTo(set, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	p, _ := set.Get(suites[0].Prompt, "")
	return set.Render(p, suites[0].Tests[0].Vars)
}
