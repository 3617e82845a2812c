package promptfoo

import (
	"github.com/promptgate/promptgate/internal/diag"
)

// renderAssertValue renders a string assertion value that uses Nunjucks
// beyond {{var}} (a filter in an llm-rubric's rubric, an if, a loop) with
// the test's vars, as promptfoo renders assertion values before grading,
// under the same Limits as prompts. The test's vars are known when the
// config loads, so a value promptgate cannot render stops the run at the
// assertion's line before any model call, and none reaches a judge
// unrendered. A value with only {{var}} is left to the assertion, which
// substitutes it per case as before.
func renderAssertValue(a Assertion, vars map[string]any) (Assertion, error) {
	s, ok := a.Spec.Value.(string)
	if !ok || Unsupported(s) == "" {
		return a, nil
	}
	n, err := CompileNunjucks(s)
	if err != nil {
		return a, diag.Errorf(a.File, a.Line, "%s value: %v; promptgate refuses to grade with it unrendered", a.Spec.Type, err)
	}
	out, err := n.Render(vars)
	if err != nil {
		return a, diag.Errorf(a.File, a.Line, "%s value: %v; nothing is sent to a model", a.Spec.Type, err)
	}
	a.Spec.Value = out
	return a, nil
}
