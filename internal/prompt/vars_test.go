package prompt

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckVars(t *testing.T) {
	t.Parallel()
	src := "---\ninput:\n  schema:\n    ticket: string, the customer's message\n    priority: integer\n" +
		"    tone?(enum): [friendly, formal]\n    customer?(object):\n      name: string\n    tags?(array): string\n  default:\n    priority: 1\n---\n{{ticket}}"
	p, err := Parse("prompts/t.prompt", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	tests := []struct {
		name string
		vars map[string]any
		want VarErrors
	}{
		{name: "valid", vars: map[string]any{"ticket": "hi", "tone": "formal", "tags": []any{"a"}}},
		{name: "default fills required", vars: map[string]any{"ticket": "hi"}},
		{name: "wrong type", vars: map[string]any{"ticket": 42},
			want: VarErrors{{Var: "ticket", Msg: "got number, want string"}}},
		{name: "missing required", vars: map[string]any{},
			want: VarErrors{{Var: "ticket", Msg: "missing required var, want string"}}},
		{name: "not in enum", vars: map[string]any{"ticket": "x", "tone": "rude"},
			want: VarErrors{{Var: "tone", Msg: `got "rude", want one of "friendly", "formal", null`}}},
		{name: "nested field", vars: map[string]any{"ticket": "x", "customer": map[string]any{"name": 3}},
			want: VarErrors{{Var: "customer", Msg: "at name: got number, want string"}}},
		{name: "array item", vars: map[string]any{"ticket": "x", "tags": []any{"a", true}},
			want: VarErrors{{Var: "tags", Msg: "at 1: got boolean, want string"}}},
		{name: "override default with wrong type", vars: map[string]any{"ticket": "x", "priority": 1.5},
			want: VarErrors{{Var: "priority", Msg: "got number, want integer"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := p.CheckVars(tt.vars)
			var got VarErrors
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("CheckVars error %v (%T) is not VarErrors", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckVars mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckVarsNoSchema(t *testing.T) {
	t.Parallel()
	p, err := Parse("p.prompt", []byte("Hi {{x}}"))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckVars(map[string]any{"x": 1}); err != nil {
		t.Errorf("CheckVars without schema = %v, want nil", err)
	}
}
