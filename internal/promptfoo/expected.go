package promptfoo

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/assert"
)

// expectedRe is promptfoo's "type(threshold): value" form of a CSV
// __expected cell. Like promptfoo's, it is built from the known assertion
// types joined as alternatives rather than a generic name pattern, so types
// with a colon in their name ("trajectory:tool-used") are found, and the
// colon after the type still separates the value ("contains:a:b" is
// contains "a:b"). Go's regexp, like JavaScript's, takes the first
// alternative that lets the whole cell match.
var expectedRe = func() *regexp.Regexp {
	// Every promptfoo type, the ones promptgate does not grade included (they
	// become not-graded assertions, never plain text compared with equals),
	// longest first, so "similar:cosine" is not read as "similar".
	types := assert.KnownTypes()
	slices.SortStableFunc(types, func(a, b string) int { return len(b) - len(a) })
	for i, t := range types {
		types[i] = regexp.QuoteMeta(t)
	}
	return regexp.MustCompile(`^(not-)?(` + strings.Join(types, "|") + `)(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$`)
}()

// jsonValued are the tool assertions whose value must be an object or a
// list. promptfoo hands them the cell's text, which they reject; promptgate
// reads the text as JSON instead, so `trajectory:tool-args-match:{"name":
// "get_weather","args":{"city":"Paris"}}` works in a CSV.
var jsonValued = map[string]bool{
	"trajectory:tool-sequence":   true,
	"trajectory:tool-args-match": true,
	"trajectory:step-count":      true,
}

// assertionFromString reads a CSV __expected cell as promptfoo does:
// "javascript:", "fn:" or "eval:" code, "grade:" or "llm-rubric:" rubrics,
// "type: value" for a known type (the tool and trajectory types included),
// and plain text as equals.
func assertionFromString(s string) assert.Spec {
	for _, p := range []string{"javascript:", "fn:", "eval:"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return assert.Spec{Type: "javascript", Value: strings.TrimSpace(rest)}
		}
	}
	for _, p := range []string{"grade:", "llm-rubric:"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			return assert.Spec{Type: "llm-rubric", Value: rest}
		}
	}
	m := expectedRe.FindStringSubmatch(s)
	if m == nil {
		return assert.Spec{Type: "equals", Value: s}
	}
	spec := assert.Spec{Type: m[1] + m[2]}
	value := m[4]
	switch m[2] {
	case "contains-any", "contains-all", "icontains-any", "icontains-all":
		if value != "" {
			spec.Value = value
		}
	case "is-json", "contains-json":
		if value != "" {
			spec.Value = value
		}
	case "levenshtein", "starts-with", "cost", "latency":
		spec.Value = strings.TrimSpace(value)
		t := 0.75
		if m[3] != "" {
			t, _ = strconv.ParseFloat(m[3], 64)
		}
		spec.Threshold = &t
	default:
		// tool-call-f1 reads the names from a comma-separated string, and,
		// as in promptfoo, a "(0.8)" after a type not listed above is read
		// and dropped.
		spec.Value = strings.TrimSpace(value)
		if jsonValued[m[2]] {
			var v any
			if err := json.Unmarshal([]byte(spec.Value.(string)), &v); err == nil {
				spec.Value = v
			}
			// Text that is not JSON stays text, which the assertion then
			// refuses at the cell's line.
		}
	}
	if spec.Value == "" {
		spec.Value = nil
	}
	return spec
}
