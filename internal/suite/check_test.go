package suite

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/prompt"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	set, err := prompt.Load(fstest.MapFS{
		"prompts/support/summarize.prompt":    {Data: []byte("---\ninput:\n  schema:\n    ticket: string\n    count?: integer\n---\n{{ticket}}\n")},
		"prompts/support/summarize.v2.prompt": {Data: []byte("{{ticket}}\n")},
		"prompts/greet.prompt":                {Data: []byte("Hi {{name}}\n")},
	}, "prompts")
	if err != nil {
		t.Fatalf("prompt.Load: %v", err)
	}
	tests := []struct {
		name string
		src  string
		want diag.List
	}{
		{"valid", "prompt: support/summarize\ntests:\n  - vars: {ticket: hi, count: 2}\n", nil},
		{"variant without schema", "prompt: support/summarize\nvariant: v2\ntests:\n  - vars: {ticket: 3}\n", nil},
		{"var read by an assertion only", "prompt: support/summarize\ntests:\n  - vars: {ticket: hi, expected: x}\n    assert: [{type: contains, value: '{{expected}}'}]\n", nil},
		{
			"undeclared vars, a defaultTest one reported once", "prompt: support/summarize\ndefaultTest:\n  vars: {tikcet: a}\ntests:\n  - vars: {ticket: hi}\n  - vars: {ticket: yo, cuont: 2}\n",
			diag.List{
				diag.Errorf("evals/s.yaml", 3, `var "tikcet" is not declared in input.schema of prompts/support/summarize.prompt, so the template never sees it (did you mean "ticket"?); declared vars: count, ticket`),
				diag.Errorf("evals/s.yaml", 6, `var "cuont" is not declared in input.schema of prompts/support/summarize.prompt, so the template never sees it (did you mean "count"?); declared vars: count, ticket`),
			},
		},
		{
			"unknown prompt", "description: x\nprompt: support/sumarize\ntests:\n  - vars: {}\n",
			diag.List{diag.Errorf("evals/s.yaml", 2, `unknown prompt "support/sumarize" (did you mean "support/summarize"?) (available: greet, support/summarize)`)},
		},
		{
			"unknown variant", "prompt: support/summarize\nvariant: v3\ntests:\n  - vars: {}\n",
			diag.List{diag.Errorf("evals/s.yaml", 1, `prompt "support/summarize" has no variant "v3" (variants: (base), v2)`)},
		},
		{
			"vars fail the schema", "prompt: support/summarize\ndefaultTest:\n  vars:\n    count: many\ntests:\n  - description: typed\n    vars:\n      ticket: 42\n  - vars: {}\n",
			diag.List{
				diag.Errorf("evals/s.yaml", 4, `typed: var "count": got string, want integer (input.schema of prompts/support/summarize.prompt)`),
				diag.Errorf("evals/s.yaml", 8, `typed: var "ticket": got number, want string (input.schema of prompts/support/summarize.prompt)`),
				diag.Errorf("evals/s.yaml", 4, `test #2: var "count": got string, want integer (input.schema of prompts/support/summarize.prompt)`),
				diag.Errorf("evals/s.yaml", 9, `test #2: var "ticket": missing required var, want string (input.schema of prompts/support/summarize.prompt)`),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := Parse("evals/s.yaml", []byte(tt.src))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			var got diag.List
			if err := Check(s, set); err != nil {
				l, ok := err.(diag.List)
				if !ok {
					t.Fatalf("Check error %v (%T) is not a diag.List", err, err)
				}
				got = l
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
