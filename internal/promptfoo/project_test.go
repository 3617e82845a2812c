package promptfoo_test

import (
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/action/change"
	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/project"
)

func repoFS(csv string) fstest.MapFS {
	return fstest.MapFS{
		"promptfooconfig.yaml": {Data: []byte("prompts: [file://prompts/ask.txt]\nproviders: [openai:chat:gpt-4o-mini, openai:gpt-4.1-mini]\ntests: file://tests/*.csv\n")},
		"prompts/ask.txt":      {Data: []byte("Answer: {{question}}")},
		"tests/cases.csv":      {Data: []byte(csv)},
	}
}

// TestRootPromptfooConfig: with no promptgate.yaml, a root promptfooconfig.yaml
// is the project: its prompt is a prompt (one variant per provider) with
// suites, and editing its CSV tests re-evaluates exactly those prompts.
func TestRootPromptfooConfig(t *testing.T) {
	t.Parallel()
	base, err := project.Load(repoFS("question,__expected\nHi?,contains: hello\n"), "")
	if err != nil {
		t.Fatalf("load base: %v", err)
	}
	var keys []string
	for _, p := range base.Prompts.All() {
		keys = append(keys, change.Key(p.Name, p.Variant)+"="+p.Model)
	}
	if want := []string{"ask.gpt-4-1-mini=gpt-4.1-mini", "ask.gpt-4o-mini=gpt-4o-mini"}; !slices.Equal(keys, want) {
		t.Errorf("prompts = %q, want %q", keys, want)
	}
	if len(base.Suites) != 2 || len(base.Suites[0].Tests) != 1 {
		t.Fatalf("suites = %d (first with %d tests), want 2 with 1 test", len(base.Suites), len(base.Suites[0].Tests))
	}
	head, err := project.Load(repoFS("question,__expected\nHi?,contains: hello\nBye?,contains: bye\n"), "")
	if err != nil {
		t.Fatalf("load head: %v", err)
	}
	snap := func(p *project.Project) change.Snapshot {
		return change.Snapshot{Config: p.Config, Prompts: p.Prompts, Suites: p.Suites}
	}
	a := change.Detect([]gitrepo.FileChange{{Path: "tests/cases.csv", Status: 'M'}}, snap(base), snap(head))
	if got := a.Keys(); !slices.Equal(got, []string{"ask.gpt-4-1-mini", "ask.gpt-4o-mini"}) {
		t.Errorf("affected = %q, want both variants of ask", got)
	}
	a = change.Detect([]gitrepo.FileChange{{Path: "README.md", Status: 'M'}}, snap(base), snap(base))
	if !a.Empty() {
		t.Errorf("a README change affected %q", a.Keys())
	}
}

// TestPromptgateYAMLListsPromptfoo: promptgate.yaml's promptfoo: list adds
// the configs' prompts next to the repo's own; unsupported keys are warnings.
func TestPromptgateYAMLListsPromptfoo(t *testing.T) {
	t.Parallel()
	fsys := repoFS("question,__expected\nHi?,contains: hello\n")
	fsys["promptgate.yaml"] = &fstest.MapFile{Data: []byte("promptfoo: [promptfooconfig.yaml]\n")}
	fsys["promptfooconfig.yaml"].Data = append(fsys["promptfooconfig.yaml"].Data, []byte("sharing: false\n")...)
	proj, err := project.Load(fsys, "")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(proj.Promptfoo) != 2 {
		t.Errorf("promptfoo suites = %d, want 2", len(proj.Promptfoo))
	}
	if len(proj.Warnings) != 1 || !strings.HasPrefix(proj.Warnings[0].Error(), `promptfooconfig.yaml:4: key "sharing"`) {
		t.Errorf("warnings = %v, want the sharing key at line 4", proj.Warnings)
	}
	// Without the list, promptgate.yaml's presence turns the root fallback off.
	fsys["promptgate.yaml"] = &fstest.MapFile{Data: []byte("defaults: {model: gpt-4o-mini}\n")}
	proj, err = project.Load(fsys, "")
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if len(proj.Promptfoo) != 0 {
		t.Errorf("promptfoo suites = %d without a promptfoo: list, want 0", len(proj.Promptfoo))
	}
}
