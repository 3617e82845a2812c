package promptfoo

import (
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/diag"
)

// compileAssertion compiles one assertion of the config. A promptfoo type
// promptgate does not grade (similar, classifier, moderation…) becomes a
// not-graded assertion and a warning at its line, so the rest of the config
// still runs and every run says what it left ungraded; a type promptfoo does
// not have either is a typo, an error with did-you-mean.
func (c *Config) compileAssertion(a Assertion) (assert.Assertion, error) {
	if assert.Ungradable(a.Spec.Type) {
		w := diag.Errorf(a.File, a.Line, "assertion type %s is not graded by promptgate: it is reported as not graded, and the test is decided by its other assertions", a.Spec.Type)
		if !slices.ContainsFunc(c.Warnings, func(have *diag.Error) bool { return have.Error() == w.Error() }) {
			c.Warnings = append(c.Warnings, w)
		}
		return assert.NotGraded(a.File, a.Line, a.Spec.Type), nil
	}
	base := strings.TrimPrefix(a.Spec.Type, "not-")
	if base != "" && !slices.Contains(assert.KnownTypes(), base) {
		return assert.Assertion{}, diag.Errorf(a.File, a.Line, "unknown assertion type %s: promptfoo has no such type%s", a.Spec.Type, assert.UnknownTypeHint(a.Spec.Type))
	}
	return assert.Compile(a.File, a.Line, a.Spec)
}
