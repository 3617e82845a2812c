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
	declared, open := p.DeclaredVars()
	reported := map[string]bool{}
	for _, c := range s.Tests {
		if !open {
			for _, name := range sortedVarNames(c.Vars) {
				line, ok := c.VarLines[name]
				if !ok {
					line = c.Line
				}
				if slices.Contains(declared, name) || usedByAsserts(c, name) || reported[fmt.Sprint(line, name)] {
					continue
				}
				reported[fmt.Sprint(line, name)] = true // a defaultTest var is reported once, not per case
				errs = append(errs, diag.Errorf(s.Path, line, "var %q is not declared in input.schema of %s, so the template never sees it%s; declared vars: %s",
					name, p.Path, diag.DidYouMean(name, declared), strings.Join(declared, ", ")))
			}
		}
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

// usedByAsserts reports whether an assertion value of the case reads the var
// as {{name}}: promptfoo suites keep expected values in vars for assertions.
func usedByAsserts(c Case, name string) bool {
	for _, a := range c.Asserts {
		v := fmt.Sprint(a.Value)
		if strings.Contains(v, "{{"+name) || strings.Contains(v, "{{ "+name) || strings.Contains(v, "vars."+name) {
			return true
		}
	}
	return false
}

func sortedVarNames(vars map[string]any) []string {
	names := make([]string, 0, len(vars))
	for name := range vars {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
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
