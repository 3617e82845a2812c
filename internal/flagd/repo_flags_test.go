package flagd

import (
	"os"
	"testing"
)

// TestRepoFlagsFile keeps the repository's own example flags file, which the
// README's /rollout walk-through uses, valid and editable by every command.
func TestRepoFlagsFile(t *testing.T) {
	t.Parallel()
	const path = "../../flags/prompts.flagd.json"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := FormatForPath(path)
	if err := Validate(doc, f); err != nil {
		t.Fatalf("%s is not a valid flagd file: %v", path, err)
	}
	flags, err := Flags(doc, f)
	if err != nil || len(flags) == 0 {
		t.Fatalf("Flags = %v, %v; want at least one flag", flags, err)
	}
	for _, name := range flags {
		for _, pct := range []int{0, 25, 100} {
			if _, _, after, err := SetRollout(doc, f, name, pct); err != nil || after.RolloutPct != pct {
				t.Errorf("SetRollout(%s, %d) = %+v, %v", name, pct, after, err)
			}
		}
	}
}
