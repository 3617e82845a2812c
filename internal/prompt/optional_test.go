package prompt

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/promptgate/promptgate/internal/schema"
)

// TestPicoschemaOptionalFields: an optional Picoschema field converts as
// Dotprompt converts it (not required, type [T, "null"]), in the canonical
// sorted form, so a null, an absent field and a T pass and another type
// fails; a JSON Schema is left as written.
func TestPicoschemaOptionalFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, want string
		pass, fail        []string
	}{
		{"optional string with a description", "  id: string\n  email?: string, the mail\n",
			`{"properties":{"email":{"description":"the mail","type":["string","null"]},"id":{"type":"string"}},"required":["id"],"type":"object"}`,
			[]string{`{"id":"a","email":null}`, `{"id":"a"}`, `{"id":"a","email":"x@y"}`}, []string{`{"id":"a","email":3}`, `{"email":null}`}},
		{"optional integer", "  n?: integer\n",
			`{"properties":{"n":{"type":["integer","null"]}},"type":"object"}`,
			[]string{`{"n":null}`, `{}`, `{"n":2}`}, []string{`{"n":"2"}`}},
		{"optional array", "  tags?(array): string\n",
			`{"properties":{"tags":{"items":{"type":"string"},"type":["array","null"]}},"type":"object"}`,
			[]string{`{"tags":null}`, `{"tags":["a"]}`}, []string{`{"tags":[1]}`, `{"tags":"a"}`}},
		{"optional object", "  addr?(object):\n    city: string\n",
			`{"properties":{"addr":{"properties":{"city":{"type":"string"}},"required":["city"],"type":["object","null"]}},"type":"object"}`,
			[]string{`{"addr":null}`, `{"addr":{"city":"Paris"}}`}, []string{`{"addr":{}}`, `{"addr":"Paris"}`}},
		{"optional field inside an object", "  addr(object):\n    zip?: string\n",
			`{"properties":{"addr":{"properties":{"zip":{"type":["string","null"]}},"type":"object"}},"required":["addr"],"type":"object"}`,
			[]string{`{"addr":{"zip":null}}`, `{"addr":{}}`}, []string{`{"addr":{"zip":1}}`}},
		{"optional enum", "  kind?(enum): [a, b]\n",
			`{"properties":{"kind":{"enum":["a","b",null]}},"type":"object"}`,
			[]string{`{"kind":null}`, `{"kind":"a"}`}, []string{`{"kind":"c"}`}},
		{"JSON Schema is kept as written", "  type: object\n  properties:\n    v:\n      type: string\n      anyOf: [{type: string}, {type: \"null\"}]\n",
			`{"properties":{"v":{"anyOf":[{"type":"string"},{"type":"null"}],"type":"string"}},"type":"object"}`,
			[]string{`{"v":"x"}`}, []string{`{"v":null}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, err := ParseTool("tools/t.yaml", []byte("name: t\ndescription: A tool.\ninput:\n"+tt.input))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, string(f.Tool.Parameters)); diff != "" {
				t.Errorf("parameters (-want +got):\n%s", diff)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(f.Tool.Parameters))
			if err != nil {
				t.Fatal(err)
			}
			sch, err := schema.Compile("t.json", doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range tt.pass {
				if p := schema.Validate(sch, args); p != nil {
					t.Errorf("%s: %v, want it to pass", args, p)
				}
			}
			for _, args := range tt.fail {
				if schema.Validate(sch, args) == nil {
					t.Errorf("%s passed, want it to fail", args)
				}
			}
		})
	}
}
