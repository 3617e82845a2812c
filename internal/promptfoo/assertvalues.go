package promptfoo

import (
	"fmt"

	"github.com/promptgate/promptgate/internal/diag"
)

// renderAssertValue renders the strings of an assertion value that use
// Nunjucks beyond {{var}} (a filter in an llm-rubric's rubric, an if, a
// loop; also inside a list or an object, such as trajectory:goal-success's
// {goal: …}) with the test's vars, as promptfoo renders assertion values
// before grading, under the same Limits as prompts. The test's vars are
// known when the config loads, so a value promptgate cannot render stops
// the run at the assertion's line before any model call, and none reaches
// a judge unrendered. A string with only {{var}} is left to the assertion,
// which substitutes it per case as before.
func renderAssertValue(a Assertion, vars map[string]any) (Assertion, error) {
	v, err := renderValue(a.Spec.Value, vars)
	if err != nil {
		return a, diag.Errorf(a.File, a.Line, "%s value: %v", a.Spec.Type, err)
	}
	a.Spec.Value = v
	return a, nil
}

// renderValue walks a decoded YAML value and renders each string that uses
// Nunjucks beyond {{var}}; lists and maps come back as copies.
func renderValue(v any, vars map[string]any) (any, error) {
	switch t := v.(type) {
	case string:
		if Unsupported(t) == "" {
			return t, nil
		}
		n, err := CompileNunjucks(t)
		if err != nil {
			return t, fmt.Errorf("%w; promptgate refuses to grade with it unrendered", err)
		}
		out, err := n.Render(vars)
		if err != nil {
			return t, fmt.Errorf("%w; nothing is sent to a model", err)
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			r, err := renderValue(e, vars)
			if err != nil {
				return v, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			r, err := renderValue(e, vars)
			if err != nil {
				return v, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}
