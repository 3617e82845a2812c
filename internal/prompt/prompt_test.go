package prompt

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

func ptr[T any](v T) *T { return &v }

func TestParse(t *testing.T) {
	t.Parallel()
	type want struct {
		Name, Variant, Model string
		ModelLine            int
		TemplateLine         int
		Params               llm.Params
		HasSchema            bool
	}
	tests := []struct {
		name string
		path string
		src  string
		want want
	}{
		{
			name: "full front matter",
			path: "prompts/support/summarize.v2.prompt",
			src: "---\nmodel: gpt-4.1-mini\nconfig:\n  temperature: 0.2\n  maxOutputTokens: 256\n  topP: 0.9\n  seed: 7\n  stopSequences: [\"END\"]\n" +
				"output:\n  format: json\ninput:\n  schema:\n    ticket: string\n---\n\n{{role \"system\"}}Summarize.\n{{role \"user\"}}{{ticket}}\n",
			want: want{
				Name: "prompts/support/summarize", Variant: "v2", Model: "gpt-4.1-mini", ModelLine: 2, TemplateLine: 16,
				Params:    llm.Params{Temperature: ptr(0.2), TopP: ptr(0.9), MaxTokens: 256, Seed: ptr(7), Stop: []string{"END"}, JSONMode: true},
				HasSchema: true,
			},
		},
		{
			name: "no front matter",
			path: "hello.prompt",
			src:  "Hello {{name}}",
			want: want{Name: "hello", TemplateLine: 1},
		},
		{
			name: "empty front matter",
			path: "a/b.prompt",
			src:  "---\n---\nHi\n",
			want: want{Name: "a/b", TemplateLine: 3},
		},
		{
			name: "closing marker at end of file",
			path: "x.prompt",
			src:  "---\nmodel: m\n---\nHi",
			want: want{Name: "x", Model: "m", ModelLine: 2, TemplateLine: 4},
		},
		{
			name: "extension keys and CRLF",
			path: "x.prompt",
			src:  "---\r\nmodel: m\r\nmyext.foo: 1\r\n---\r\nHi\r\n",
			want: want{Name: "x", Model: "m", ModelLine: 2, TemplateLine: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tt.path, []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := want{Name: p.Name, Variant: p.Variant, Model: p.Model, ModelLine: p.ModelLine,
				TemplateLine: p.TemplateLine, Params: p.Params, HasSchema: p.InputSchema != nil}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			if len(p.Hash) != 12 {
				t.Errorf("Hash = %q, want 12 hex chars", p.Hash)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		path     string
		src      string
		wantLine int
		wantMsg  string
	}{
		{"unknown key with suggestion", "p.prompt", "---\nmodle: x\n---\nHi", 2, `unknown front matter key "modle" (did you mean "model"?)`},
		{"config type", "p.prompt", "---\nmodel: x\nconfig:\n  temperature: hot\n---\nHi", 4, "temperature must be a number"},
		{"unsupported config key", "p.prompt", "---\nconfig:\n  temprature: 1\n---\nHi", 3, `unsupported config key "temprature" (did you mean "temperature"?)`},
		{"malformed yaml", "p.prompt", "---\nmodel: x\nconfig: [1,\n---\nHi", 3, "front matter:"},
		{"not a mapping", "p.prompt", "---\n- a\n---\nHi", 2, "front matter must be a mapping"},
		{"unclosed front matter", "p.prompt", "---\nmodel: x\nHi", 1, "never closed"},
		{"empty template", "p.prompt", "---\nmodel: x\n---\n\n", 5, "no template"},
		{"template syntax", "p.prompt", "---\nmodel: x\n---\nline one\n{{#if x}}\nno close\n", 5, "template: {{#if}} is never closed"},
		{"bad picoschema", "p.prompt", "---\ninput:\n  schema:\n    kind(enum): notalist\n---\nHi", 4, "input.schema"},
		{"unknown scalar type", "p.prompt", "---\ninput:\n  schema:\n    n: strng\n---\nHi", 4, "input.schema"},
		{"tools not a list", "p.prompt", "---\ntools: a\n---\nHi", 2, "tools must be a list of tool names"},
		{"bad output format", "p.prompt", "---\noutput:\n  format: xml\n---\nHi", 3, "output.format must be json or text"},
		{"bad file name", "a.b.c.prompt", "Hi", 0, "NAME.VARIANT"},
		{"model not a string", "p.prompt", "---\nmodel: [a]\n---\nHi", 2, "expected a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.path, []byte(tt.src))
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			first := firstDiag(t, err)
			if first.File != tt.path || first.Line != tt.wantLine || !strings.Contains(first.Msg, tt.wantMsg) {
				t.Errorf("error = %q at %s:%d, want %q at %s:%d", first.Msg, first.File, first.Line, tt.wantMsg, tt.path, tt.wantLine)
			}
		})
	}
}

func firstDiag(t *testing.T, err error) *diag.Error {
	t.Helper()
	var l diag.List
	if errors.As(err, &l) && len(l) > 0 {
		return l[0]
	}
	var e *diag.Error
	if errors.As(err, &e) {
		return e
	}
	t.Fatalf("error %v (%T) is not a diag error", err, err)
	return nil
}

func TestPartialName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path   string
		want   string
		wantOK bool
	}{
		{"prompts/_header.prompt", "header", true},
		{"prompts/deep/dir/_footer.prompt", "footer", true},
		{"prompts/header.prompt", "", false},
		{"prompts/_.prompt", "", false},
		{"prompts/_x.txt", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			got, ok := PartialName(tt.path)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("PartialName(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
