package check

import (
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/project"
)

func ownedPrompt(owner string) *fstest.MapFile {
	meta := ""
	if owner != "" {
		meta = "metadata:\n  owner: \"" + owner + "\"\n"
	}
	return &fstest.MapFile{Data: []byte("---\n" + meta + "model: gpt-4.1-mini\n---\n{{role \"user\"}}\nSummarize.\n")}
}

func loadProject(t *testing.T, files fstest.MapFS) *project.Project {
	t.Helper()
	files["promptgate.yaml"] = &fstest.MapFile{Data: []byte("traffic: {}\n")}
	p, err := project.Load(files, "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPromptOwnersFromBase: a new variant of a prompt base has is owned as
// base owns that prompt, whatever metadata.owner the variant sets (it takes
// the prompt's traffic, so its cost stays on that owner's budget); only a
// brand-new prompt name brings its own owner. Every owner head writes that
// does not count, and a new prompt's that does, shows as a config change.
func TestPromptOwnersFromBase(t *testing.T) {
	t.Parallel()
	codeowners := &fstest.MapFile{Data: []byte("* @acme/platform\n/prompts/summarize.prompt @acme/billing\n")}
	base := loadProject(t, fstest.MapFS{
		".github/CODEOWNERS":       codeowners,
		"prompts/summarize.prompt": ownedPrompt(""),
		"prompts/faq.prompt":       ownedPrompt("@acme/support"),
		"prompts/tone.v1.prompt":   ownedPrompt("@acme/voice"),
	})
	head := loadProject(t, fstest.MapFS{
		".github/CODEOWNERS":          &fstest.MapFile{Data: []byte("* @acme/other\n")},
		"prompts/summarize.prompt":    ownedPrompt(""),
		"prompts/summarize.v2.prompt": ownedPrompt("@acme/other"),
		"prompts/faq.prompt":          ownedPrompt("@acme/other"),
		"prompts/tone.v2.prompt":      ownedPrompt("@acme/other"),
		"prompts/brandnew.prompt":     ownedPrompt("@acme/new"),
		"prompts/plain.prompt":        ownedPrompt(""),
	})
	keys := map[string]bool{"summarize": true, "summarize.v2": true, "faq": true, "tone.v2": true, "brandnew": true, "plain": true}
	got, changes := promptOwners(base, head, keys)
	want := map[string]string{
		"summarize":    "@acme/billing",
		"summarize.v2": "@acme/billing", // the dodge: not @acme/other
		"faq":          "@acme/support",
		"tone.v2":      "@acme/voice",
		"brandnew":     "@acme/new",
		"plain":        "@acme/platform", // base's CODEOWNERS, not head's
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
	wantChanges := []config.RuleChange{
		{Key: "metadata.owner", File: "prompts/brandnew.prompt", Line: 3, Head: "@acme/new", Effect: "counts now: brandnew is a new prompt"},
		{Key: "metadata.owner", File: "prompts/faq.prompt", Line: 3, Base: "@acme/support", Head: "@acme/other", Effect: "base's owner until merged"},
		{Key: "metadata.owner", File: "prompts/summarize.v2.prompt", Line: 3, Base: "@acme/billing", Head: "@acme/other",
			Effect: "a new variant of summarize is owned as base owns prompts/summarize.prompt until merged"},
		{Key: "metadata.owner", File: "prompts/tone.v2.prompt", Line: 3, Base: "@acme/voice", Head: "@acme/other",
			Effect: "a new variant of tone is owned as base owns prompts/tone.v1.prompt until merged"},
	}
	if diff := cmp.Diff(wantChanges, changes); diff != "" {
		t.Errorf("config changes (-want +got):\n%s", diff)
	}
}
