package change

import (
	"slices"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
)

// FuzzDetect feeds Detect random change lists (one "STATUS path [old path]"
// per line) and a random flags file at head, against real base and head
// snapshots. Detect must not panic, and its result must be consistent.
func FuzzDetect(f *testing.F) {
	f.Add("M prompts/summarize.prompt\nR prompts/summarize.v3.prompt prompts/summarize.v2.prompt\nD README.md", baseRepo["flags/prompts.flagd.json"])
	f.Add("M prompts/_tone.prompt\nA prompts/x/y.z.prompt\nM flags/prompts.flagd.json", `{"flags":{"f":{"variants":{"a":"summarize","b":"nope"}}}}`)
	f.Add("M promptgate.yaml\nM evals/classify.yaml\nA prompts/.prompt\nM prompts/_.prompt", "flags: {f: {variants: {a: translate}}}")
	f.Add("R  \nM ../../etc/passwd\nM /prompts/a.prompt\nM ./prompts/classify.prompt", "[1, 2]")
	base := snapshot(f, baseRepo)
	headFiles := withEdits(map[string]string{
		"prompts/_tone.prompt": "Be terse.\n",
		"promptgate.yaml":      strings.Replace(baseRepo["promptgate.yaml"], "20000", "1", 1),
	})
	loadedHead := snapshot(f, headFiles)
	f.Fuzz(func(t *testing.T, changeList, flags string) {
		head := loadedHead
		head.Flags = []byte(flags)
		var changes []gitrepo.FileChange
		for _, line := range strings.Split(changeList, "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || fields[0] == "" {
				continue
			}
			c := gitrepo.FileChange{Status: fields[0][0]}
			if len(fields) > 1 {
				c.Path = fields[1]
			}
			if len(fields) > 2 {
				c.OldPath = fields[2]
			}
			changes = append(changes, c)
		}
		a := Detect(changes, base, head)
		for key := range a.Reproject {
			if _, ok := a.Reeval[key]; ok {
				t.Fatalf("%q is in both Reeval and Reproject", key)
			}
		}
		for key, reasons := range a.Reeval {
			if key == "" || len(reasons) == 0 {
				t.Fatalf("Reeval[%q] = %v", key, reasons)
			}
		}
		if !slices.IsSorted(a.Other) || !slices.IsSorted(a.Added) || !slices.IsSorted(a.Removed) {
			t.Fatalf("unsorted lists in %+v", a)
		}
		if a.Empty() != (len(a.Reeval) == 0 && len(a.Reproject) == 0 && len(a.Added) == 0 && len(a.Removed) == 0) {
			t.Fatalf("Empty() disagrees with %+v", a)
		}
	})
}
