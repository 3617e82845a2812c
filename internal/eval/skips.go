package eval

import "strings"

// SkipGroup is the case runs skipped for one reason, such as a missing key:
// reports say the reason once with the count instead of once per run.
type SkipGroup struct {
	// Reason is the call error without its "provider/model: " prefix, which
	// differs between prompts while the reason does not.
	Reason string
	// Kind is the reason's leading word: "no-api-key", "cache-miss" or "auth".
	Kind string
	Runs int
	// Suites are the suite paths with a run skipped for this reason, in report order.
	Suites []string
	// FirstPath, FirstLine and FirstCase locate the first run skipped.
	FirstPath string
	FirstLine int
	FirstCase string
}

// KeyProblem reports whether the runs were skipped for a missing or refused
// API key rather than a missing recording.
func (g SkipGroup) KeyProblem() bool { return g.Kind == "no-api-key" || g.Kind == "auth" }

// SkipGroups groups the skipped runs of the reports by reason, in the order
// first seen.
func SkipGroups(reps ...*Report) []SkipGroup {
	var out []SkipGroup
	index := map[string]int{}
	for _, rep := range reps {
		if rep == nil {
			continue
		}
		for _, s := range rep.Suites {
			for _, c := range s.Cases {
				if c.Status != StatusSkipped {
					continue
				}
				reason := skipReason(c.Error)
				i, ok := index[reason]
				if !ok {
					kind, _, _ := strings.Cut(reason, ":")
					kind, _, _ = strings.Cut(kind, " ")
					i = len(out)
					index[reason] = i
					out = append(out, SkipGroup{Reason: reason, Kind: kind, FirstPath: s.Path, FirstLine: c.Line, FirstCase: c.Description})
				}
				g := &out[i]
				g.Runs++
				if n := len(g.Suites); n == 0 || g.Suites[n-1] != s.Path {
					g.Suites = append(g.Suites, s.Path)
				}
			}
		}
	}
	return out
}

// skipReason drops the "provider/model: " prefix of a call error.
func skipReason(msg string) string {
	if call, rest, ok := strings.Cut(msg, ": "); ok && !strings.Contains(call, " ") && strings.Contains(call, "/") {
		return rest
	}
	return msg
}
