package owners

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestOwnerFollowsGitHubRules(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		// .github/ comes first, so the root and docs/ files are never read.
		".github/CODEOWNERS": {Data: []byte("# owners\n*                   @acme/platform\nprompts/support/   @acme/support @bob\n" +
			"prompts/support/escalate.prompt @carol\n/prompts/**/*.v2.prompt ml@acme.dev\nprompts/bad @@@\n")},
		"CODEOWNERS":      {Data: []byte("* @root-file\n")},
		"docs/CODEOWNERS": {Data: []byte("* @docs-file\n")},
	}
	r, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if r.File != ".github/CODEOWNERS" {
		t.Errorf("file = %q", r.File)
	}
	tests := []struct {
		path, metadata, want, source string
	}{
		{"prompts/summarize.prompt", "", "@acme/platform", ".github/CODEOWNERS:2"},
		{"prompts/support/reply.prompt", "", "@acme/support", ".github/CODEOWNERS:3"},  // first of two owners
		{"prompts/support/escalate.prompt", "", "@carol", ".github/CODEOWNERS:4"},      // last match wins
		{"prompts/support/reply.v2.prompt", "", "ml@acme.dev", ".github/CODEOWNERS:5"}, // later rule beats the directory
		{"prompts/support/reply.prompt", "@acme/growth", "@acme/growth", "metadata.owner"},
	}
	for _, tt := range tests {
		got, source := r.Of(tt.path, tt.metadata)
		if got != tt.want || source != tt.source {
			t.Errorf("Of(%q, %q) = %q from %q, want %q from %q", tt.path, tt.metadata, got, source, tt.want, tt.source)
		}
	}
	if len(r.Warnings) != 1 || !strings.HasPrefix(r.Warnings[0], ".github/CODEOWNERS:6: ") {
		t.Errorf("warnings = %q, want one for line 6", r.Warnings)
	}
}

func TestLocationsInOrder(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		files map[string]string
		want  string
	}{
		{map[string]string{"CODEOWNERS": "* @root", "docs/CODEOWNERS": "* @docs"}, "@root"},
		{map[string]string{"docs/CODEOWNERS": "* @docs"}, "@docs"},
		{map[string]string{}, ""},
	} {
		fsys := fstest.MapFS{}
		for name, body := range tt.files {
			fsys[name] = &fstest.MapFile{Data: []byte(body)}
		}
		r, err := Load(fsys)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := r.Owner("prompts/a.prompt"); got != tt.want {
			t.Errorf("%v: owner %q, want %q", tt.files, got, tt.want)
		}
	}
	var none *Rules
	if got, src := none.Of("prompts/a.prompt", ""); got != "" || src != "" {
		t.Errorf("nil rules own %q", got)
	}
	if diff := cmp.Diff([]string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}, Locations); diff != "" {
		t.Error(diff)
	}
}

// FuzzLoad: no CODEOWNERS content panics, and every rule kept matches without error.
func FuzzLoad(f *testing.F) {
	for _, seed := range []string{"* @a\n", "/x/** @o/t a@b.c\n", "\\#x @a\n", "[ @a\n", "a\\ b @c", "**/ @@\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		r, err := Load(fstest.MapFS{"CODEOWNERS": {Data: []byte(src)}})
		if err != nil {
			t.Fatal(err)
		}
		r.Owner("prompts/a/b.prompt")
	})
}
