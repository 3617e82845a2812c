package promptfoo

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/assert"
)

func TestLoadSupportConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Load(os.DirFS("testdata/support"), "promptfooconfig.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Description != "Support replies for Acme" {
		t.Errorf("description = %q", cfg.Description)
	}
	var labels []string
	for _, p := range cfg.Prompts {
		labels = append(labels, p.Label)
	}
	if diff := cmp.Diff([]string{"replies-1", "replies-2", "chat", "brief"}, labels); diff != "" {
		t.Errorf("prompt labels (-want +got):\n%s", diff)
	}
	if got := cfg.Prompts[1]; got.Raw != "Reply to this customer of {{company}} politely.\nQuestion: {{question}}" || got.Line != 3 || got.File != "prompts/replies.txt" {
		t.Errorf("second prompt = %+v", got)
	}
	if got := cfg.Prompts[2].Messages; len(got) != 2 || got[0].Role != "system" || got[1].Content != "{{question}}" {
		t.Errorf("chat prompt messages = %+v", got)
	}
	temp, maxTok := 0.0, 200
	wantProviders := []Provider{
		{ID: "openai:chat:gpt-4o-mini", Label: "openai:chat:gpt-4o-mini", Model: "gpt-4o-mini", Temperature: &temp, MaxTokens: &maxTok, File: "promptfooconfig.yaml", Line: 10},
		{ID: "openai:gpt-4.1-nano", Label: "nano", Model: "gpt-4.1-nano", BaseURL: "http://127.0.0.1:9/v1", APIKeyEnv: "NANO_API_KEY", File: "promptfooconfig.yaml", Line: 14},
	}
	if diff := cmp.Diff(wantProviders, cfg.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	var descs []string
	for _, tc := range cfg.Tests {
		descs = append(descs, tc.Description+"|"+tc.Vars["question"].(string))
	}
	wantDescs := []string{
		"refund policy|How do I get a refund?", "angry customer|This is the third time I ask!",
		"hours|What are your hours?", "shipping|Do you ship abroad?", "greeting|Hi",
		"password reset|I forgot my password", "json reply|Reply with JSON",
		"order questions|Where is my order?", "order questions|Can I change my address?",
	}
	if diff := cmp.Diff(wantDescs, descs); diff != "" {
		t.Errorf("tests (-want +got):\n%s", diff)
	}
	refund := cfg.Tests[0]
	if refund.Vars["company"] != "Acme" || refund.Vars["policy"] != "Refunds are possible within 30 days of delivery.\n" {
		t.Errorf("refund vars = %v, want defaultTest's company and the policy file's text", refund.Vars)
	}
	if got := refund.Asserts[0].Spec; got.Type != "not-icontains" {
		t.Errorf("first assertion = %+v, want defaultTest's not-icontains first", got)
	}
	shipping := cfg.Tests[3]
	if shipping.Threshold == nil || *shipping.Threshold != 0.5 {
		t.Errorf("shipping threshold = %v, want 0.5 from __threshold", shipping.Threshold)
	}
	var shipTypes []string
	for _, a := range shipping.Asserts {
		shipTypes = append(shipTypes, a.Spec.Type)
	}
	if diff := cmp.Diff([]string{"not-icontains", "contains-any", "llm-rubric"}, shipTypes); diff != "" {
		t.Errorf("shipping assertion types (-want +got):\n%s", diff)
	}
	if got := cfg.Tests[4].Asserts[1].Spec; got.Type != "equals" || got.Value != "Hello!" {
		t.Errorf("plain __expected = %+v, want equals Hello!", got)
	}
	var warnings []string
	for _, w := range cfg.Warnings {
		warnings = append(warnings, w.Error())
	}
	for _, want := range []string{
		`promptfooconfig.yaml:3: key "version" is not supported`,
		`promptfooconfig.yaml:19: provider "anthropic:messages:claude-sonnet-4-5" is not supported`,
		`promptfooconfig.yaml:44: assertion key "metric" is not supported`,
		`promptfooconfig.yaml:45: key "outputPath" is not supported`,
	} {
		if !containsPrefix(warnings, want) {
			t.Errorf("no warning %q in %q", want, warnings)
		}
	}
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, config, want string
	}{
		{"no prompts", "tests: []\n", "config.yaml:1: no prompts"},
		{"missing prompt file", "prompts: [file://nope.txt]\n", "config.yaml:1: prompt file://nope.txt"},
		{"glob matches nothing", "prompts: [hi]\ntests: file://t/*.csv\n", "config.yaml:2: tests file://t/*.csv matches no file"},
		{"outside the repo", "prompts: [file://../x.txt]\n", "points outside the repository"},
		{"bad yaml", "prompts: [\n", "config.yaml:"},
		{"test not a mapping", "prompts: [hi]\ntests: [3]\n", "config.yaml:2: each test must be a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(fstest.MapFS{"config.yaml": {Data: []byte(tt.config)}}, "config.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestAssertionFromString(t *testing.T) {
	t.Parallel()
	th := func(f float64) *float64 { return &f }
	tests := []struct {
		in   string
		want assert.Spec
	}{
		{"contains: 9am", assert.Spec{Type: "contains", Value: "9am"}},
		{"not-icontains: sorry", assert.Spec{Type: "not-icontains", Value: "sorry"}},
		{"grade: Is polite", assert.Spec{Type: "llm-rubric", Value: " Is polite"}},
		{"javascript: output.length > 3", assert.Spec{Type: "javascript", Value: "output.length > 3"}},
		{"fn:output === 'x'", assert.Spec{Type: "javascript", Value: "output === 'x'"}},
		{"levenshtein(2): kitten", assert.Spec{Type: "levenshtein", Value: "kitten", Threshold: th(2)}},
		{"starts-with: Yes", assert.Spec{Type: "starts-with", Value: "Yes", Threshold: th(0.75)}},
		{"is-json", assert.Spec{Type: "is-json"}},
		{"Hello: world", assert.Spec{Type: "equals", Value: "Hello: world"}},
		{"plain answer", assert.Spec{Type: "equals", Value: "plain answer"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, assertionFromString(tt.in)); diff != "" {
			t.Errorf("assertionFromString(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	vars := map[string]any{"name": "Bob", "n": 3, "user": map[string]any{"city": "Oslo"}}
	tests := []struct{ in, want string }{
		{"Hi {{name}}!", "Hi Bob!"},
		{"{{ name }} has {{n}} in {{user.city}}", "Bob has 3 in Oslo"},
		{"missing: [{{nope}}]", "missing: []"},
		{"no tags", "no tags"},
	}
	for _, tt := range tests {
		if got := Render(tt.in, vars); got != tt.want {
			t.Errorf("Render(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Unsupported("{% for x in xs %}{{x}}{% endfor %}"); got == "" {
		t.Error("Unsupported missed a {% %} tag")
	}
	if got := Unsupported("{{ name | upper }}"); got == "" {
		t.Error("Unsupported missed a filter")
	}
	if got := Unsupported("Hi {{name}}"); got != "" {
		t.Errorf("Unsupported(plain) = %q", got)
	}
}

// TestGraderOption: defaultTest.options.provider (and a test's own) becomes
// the judge of its llm-rubric assertions; other options are warnings.
func TestGraderOption(t *testing.T) {
	t.Parallel()
	config := `prompts: [hi]
defaultTest:
  options:
    provider: openai:chat:gpt-4.1-nano
    transform: output.trim()
tests:
  - assert: [{type: llm-rubric, value: polite}, {type: contains, value: hi}]
  - options: {provider: {id: "openai:chat:gpt-4o"}}
    assert: [{type: not-llm-rubric, value: rude}]
  - assert: [{type: llm-rubric, value: kind, provider: openai:chat:o4-mini}]
`
	cfg, err := Load(fstest.MapFS{"c.yaml": {Data: []byte(config)}}, "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var judges []string
	for _, tc := range cfg.Tests {
		for _, a := range tc.Asserts {
			judges = append(judges, a.Spec.Type+"="+a.Spec.Provider)
		}
	}
	want := []string{"llm-rubric=gpt-4.1-nano", "contains=", "not-llm-rubric=gpt-4o", "llm-rubric=o4-mini"}
	if diff := cmp.Diff(want, judges); diff != "" {
		t.Errorf("judges (-want +got):\n%s", diff)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Error(), `c.yaml:5: option "transform"`) {
		t.Errorf("warnings = %v, want transform at line 5", cfg.Warnings)
	}
}
