package prompt

import (
	"strings"
	"testing"
)

// TestTemplateVarsAgainstSchema: a template var input.schema does not declare
// is an error at its line; optional vars, input.default, helpers, @data,
// this, and the bodies of #each and #with are not.
func TestTemplateVarsAgainstSchema(t *testing.T) {
	t.Parallel()
	head := "---\ninput:\n  schema:\n    review: string\n    product?: string\n    items(array): string\n  default:\n    tone: calm\n---\n"
	tests := []struct {
		name, body, want string // want "" means no error
	}{
		{"declared and optional", "{{role \"user\"}}\n{{review}} {{#if product}}{{product}}{{/if}} {{tone}}", ""},
		{"helpers and data", "{{#each items}}{{this}} {{@index}} {{name}}{{/each}}{{json review}}{{history}}", ""},
		{"with body changes context", "{{#with review}}{{length}}{{/with}}", ""},
		{"typo", "{{role \"user\"}}\n\n{{reveiw}}", `p.prompt:12: template reads {{reveiw}}, which input.schema does not declare, so it would render empty (did you mean "review"?)`},
		{"inside if", "{{#if product}}\n{{prodcut}}\n{{/if}}", `p.prompt:11: template reads {{prodcut}}`},
		{"helper param", "{{json reviews}}", `template reads {{reviews}}`},
		{"each else runs outside", "{{#each items}}{{x}}{{else}}{{nothing}}{{/each}}", `template reads {{nothing}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("p.prompt", []byte(head+tt.body+"\n"))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestTemplateVarsWithoutSchema: with no input.schema, or a wildcard one,
// any var is allowed.
func TestTemplateVarsWithoutSchema(t *testing.T) {
	t.Parallel()
	for _, src := range []string{
		"---\nmodel: x\n---\n{{anything}}\n",
		"---\ninput:\n  schema:\n    (*): string\n---\n{{anything}}\n",
	} {
		if _, err := Parse("p.prompt", []byte(src)); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}
