package promptfoo

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
)

// TestCSVUngradedTypes: a CSV __expected cell naming a promptfoo type
// promptgate does not grade is that type, not graded, with a warning at
// the row; it is never compared as plain text with equals.
func TestCSVUngradedTypes(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"promptfooconfig.yaml": {Data: []byte("prompts: ['Say {{q}}']\nproviders: [openai:chat:gpt-4.1-mini]\ntests: file://cases.csv\n")},
		"cases.csv":            {Data: []byte("q,__expected1,__expected2\nhi,similar(0.8): hello there,contains: hi\nyo,similar:cosine: yo,\n")},
	}
	c, err := Load(fsys, "promptfooconfig.yaml")
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompt.Load(fsys, "prompts")
	if err != nil {
		t.Fatal(err)
	}
	suites, err := c.AddTo(set, config.Default())
	if err != nil {
		t.Fatal(err)
	}
	cases := suites[0].Tests
	if len(cases) != 2 {
		t.Fatalf("%d cases", len(cases))
	}
	if a := cases[0].Asserts; len(a) != 2 || a[0].Graded() || a[0].Type != "similar" || !a[1].Graded() {
		t.Errorf("row 2 assertions: %+v", a)
	}
	if a := cases[1].Asserts; len(a) != 1 || a[0].Graded() || a[0].Type != "similar:cosine" {
		t.Errorf("row 3 assertions: %+v", a)
	}
	var warns []string
	for _, w := range c.Warnings {
		warns = append(warns, w.Error())
	}
	for _, want := range []string{"cases.csv:2: assertion type similar is not graded", "cases.csv:3: assertion type similar:cosine is not graded"} {
		if !strings.Contains(strings.Join(warns, "\n"), want) {
			t.Errorf("warnings lack %q:\n%s", want, strings.Join(warns, "\n"))
		}
	}
}
