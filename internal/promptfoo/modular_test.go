package promptfoo

import (
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// TestLoadModularConfig reads a config split the way promptfoo's modular
// configs are: providers from a file, and tests whose vars are a glob of
// vars files (merged into one test, later files winning, then expanded on
// their array vars) or a list of them.
func TestLoadModularConfig(t *testing.T) {
	t.Parallel()
	cfg, err := Load(os.DirFS("testdata/modular"), "config/promptfooconfig.yaml")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(cfg.Warnings) > 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	temp := 0.0
	wantProviders := []Provider{
		{ID: "openai:chat:gpt-4o-mini", Label: "mini", Model: "gpt-4o-mini", Temperature: &temp, File: "config/providers/providers.yaml", Line: 2},
		{ID: "openai:chat:gpt-4.1-nano", Label: "openai:chat:gpt-4.1-nano", Model: "gpt-4.1-nano", BaseURL: "http://127.0.0.1:9/v1",
			APIKeyEnv: "NANO_API_KEY", File: "config/providers/providers.yaml", Line: 6},
	}
	if diff := cmp.Diff(wantProviders, cfg.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	var got []map[string]any
	for _, tc := range cfg.Tests {
		got = append(got, tc.Vars)
	}
	shipping := func(lang string) map[string]any {
		return map[string]any{"ticket": "My parcel never arrived.", "team": "shipping", "priority": "high", "language": lang}
	}
	want := []map[string]any{
		shipping("en"), shipping("fr"),
		{"ticket": "I was charged twice for my order.", "team": "finance", "priority": "high"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("test vars (-want +got):\n%s", diff)
	}
	for _, f := range []string{"config/providers/providers.yaml", "vars/vars_billing.yaml", "vars/vars_shipping.yaml", "vars/overrides/finance.yaml"} {
		if !strings.Contains(strings.Join(cfg.Files, " "), f) {
			t.Errorf("Files %v lacks %s, so editing it would not count as a change", cfg.Files, f)
		}
	}
}

func TestLoadVarsAndProvidersFileErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"vars glob matches nothing", map[string]string{"c.yaml": "prompts: [x]\nproviders: [openai:chat:m]\ntests:\n  - vars: vars/*.yaml\n"},
			"c.yaml:4: vars vars/*.yaml matches no file"},
		{"vars file not a mapping", map[string]string{"c.yaml": "prompts: [x]\nproviders: [openai:chat:m]\ntests:\n  - vars: v.yaml\n", "v.yaml": "- a\n- b\n"},
			"v.yaml:1: vars file must be a mapping of vars"},
		{"vars list item not a path", map[string]string{"c.yaml": "prompts: [x]\nproviders: [openai:chat:m]\ntests:\n  - vars: [{a: 1}]\n"},
			"c.yaml:4: vars must be a mapping, or a file path or glob"},
		{"vars path leaves the repository", map[string]string{"c.yaml": "prompts: [x]\nproviders: [openai:chat:m]\ntests:\n  - vars: ../v.yaml\n"},
			"c.yaml:4: vars ../v.yaml points outside the repository"},
		{"providers file names another", map[string]string{"c.yaml": "prompts: [x]\nproviders: file://p.yaml\ntests: [{vars: {a: 1}}]\n", "p.yaml": "- file://p.yaml\n"},
			"p.yaml:1: a providers file may not name another providers file"},
		{"providers file missing", map[string]string{"c.yaml": "prompts: [x]\nproviders: file://p.yaml\ntests: [{vars: {a: 1}}]\n"},
			"c.yaml:2: providers file://p.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{}
			for name, body := range tt.files {
				fsys[name] = &fstest.MapFile{Data: []byte(body)}
			}
			_, err := Load(fsys, "c.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load error = %v, want %q", err, tt.want)
			}
		})
	}
}
