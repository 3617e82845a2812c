package check

import (
	"fmt"

	"github.com/promptgate/promptgate/internal/eval"
)

// skipNotes says why case runs were skipped in a live run, once per reason:
// a missing or refused key first, by name, with the variable to set, then runs
// with no recorded response. Without live calls the report's first note
// already says why.
func skipNotes(live bool, reps ...*eval.Report) []string {
	if !live {
		return nil
	}
	var keys, misses []string
	for _, g := range eval.SkipGroups(reps...) {
		if g.KeyProblem() {
			what := "no key"
			if g.Kind == "auth" {
				what = "wrong key"
			}
			keys = append(keys, fmt.Sprintf("model calls (%s): %s; %d case runs skipped, not counted as errors", what, g.Reason, g.Runs))
			continue
		}
		misses = append(misses, fmt.Sprintf("%d case runs had no recorded response", g.Runs))
	}
	return append(keys, misses...)
}
