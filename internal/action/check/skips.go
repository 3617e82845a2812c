package check

import (
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
)

// skipNotes says why case runs were skipped, once per reason: runs on a
// provider the change adds (always), then, in a live run, a missing or refused
// key first, by name, with the variable to set, then runs with no recorded
// response. Without live calls the report's first note already says why for
// the rest.
func skipNotes(live bool, reps ...*eval.Report) []string {
	var untrusted, keys, misses []string
	for _, g := range eval.SkipGroups(reps...) {
		switch {
		case g.Kind == llm.OverBudget.String():
			// Said once, with the budget, by the check itself.
		case g.Kind == llm.Untrusted.String():
			untrusted = append(untrusted, fmt.Sprintf("%d case runs: %s (see Config changes)", g.Runs, strings.TrimPrefix(g.Reason, g.Kind+": ")))
		case !live:
		case g.KeyProblem():
			what := "no key"
			if g.Kind == "auth" {
				what = "wrong key"
			}
			keys = append(keys, fmt.Sprintf("model calls (%s): %s; %d case runs skipped, not counted as errors", what, g.Reason, g.Runs))
		default:
			misses = append(misses, fmt.Sprintf("%d case runs had no recorded response", g.Runs))
		}
	}
	return append(append(untrusted, keys...), misses...)
}
