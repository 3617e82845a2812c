package suite

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/prompt"
)

// Check validates a suite against the loaded prompts before any model call:
// the prompt and variant must exist, and every case's vars must fit the
// prompt's input schema. Problems are a diag.List at the `prompt:` line or at
// the offending var's line.
func Check(s *Suite, set *prompt.Set) error {
	p, ok := set.Get(s.Prompt, s.Variant)
	if !ok {
		return diag.List{diag.Errorf(s.Path, max(s.PromptLine, 1), "%s", missingPrompt(s, set))}
	}
	var errs diag.List
	for _, c := range s.Tests {
		err := p.CheckVars(c.Vars)
		if err == nil {
			continue
		}
		var verrs prompt.VarErrors
		if !errors.As(err, &verrs) {
			errs = append(errs, diag.Errorf(s.Path, c.Line, "%s: %v", c.Name(), err))
			continue
		}
		for _, ve := range verrs {
			line, ok := c.VarLines[ve.Var]
			if !ok {
				line = c.Line
			}
			errs = append(errs, diag.Errorf(s.Path, line, "%s: %v (input.schema of %s)", c.Name(), ve, p.Path))
		}
	}
	return errs.Err()
}

func missingPrompt(s *Suite, set *prompt.Set) string {
	names := set.Names()
	if slices.Contains(names, s.Prompt) {
		var variants []string
		for _, p := range set.All() {
			if p.Name == s.Prompt {
				v := p.Variant
				if v == "" {
					v = "(base)"
				}
				variants = append(variants, v)
			}
		}
		return fmt.Sprintf("prompt %q has no variant %q (variants: %s)", s.Prompt, s.Variant, strings.Join(variants, ", "))
	}
	if len(names) == 0 {
		return fmt.Sprintf("unknown prompt %q: no prompts found under prompts/", s.Prompt)
	}
	return fmt.Sprintf("unknown prompt %q%s (available: %s)", s.Prompt, diag.DidYouMean(s.Prompt, names), strings.Join(names, ", "))
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// yamlError turns a yaml.v3 error into a diag error at the line it names.
func yamlError(path string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		return diag.Errorf(path, line, "invalid YAML: %s", strings.TrimSpace(msg[strings.Index(msg, ":")+1:]))
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
		if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
			return diag.Errorf(path, line, "invalid YAML: %s", strings.TrimSpace(msg[strings.Index(msg, ":")+1:]))
		}
	}
	return diag.Errorf(path, 1, "invalid YAML: %s", msg)
}
