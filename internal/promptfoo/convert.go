package promptfoo

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// AddTo makes the config part of a promptgate project: every prompt (one
// variant per provider when there are several) joins set, so change
// detection, cost projection and rollout see it; each provider with its own
// apiBaseUrl becomes a provider of cfg; and the tests become one suite per
// prompt and provider. Assertions are compiled here, so their problems come
// back at their file and line.
func (c *Config) AddTo(set *prompt.Set, cfg *config.Config) ([]*suite.Suite, error) {
	providers := c.Providers
	if len(providers) == 0 {
		providers = []Provider{{}} // the project's default model
	}
	var errs diag.List
	c.addGraders(cfg, &errs)
	cases := c.cases(&errs)
	var suites []*suite.Suite
	for i, pp := range c.Prompts {
		name := promptName(pp, i)
		render, err := renderFunc(pp)
		if err != nil {
			errs = diag.Append(errs, err)
			continue
		}
		for _, pv := range providers {
			variant := ""
			if len(providers) > 1 {
				variant = slug(cmp.Or(labelIfSet(pv), pv.Model))
			}
			model := pv.Model
			if pv.BaseURL != "" {
				model = addProvider(cfg, pv) + "/" + pv.Model
			}
			params := llm.Params{Temperature: pv.Temperature, Tools: pv.Tools, ToolChoice: pv.ToolChoice}
			if pv.MaxTokens != nil {
				params.MaxTokens = *pv.MaxTokens
			}
			source, _ := json.Marshal(map[string]any{"raw": pp.Raw, "messages": pp.Messages, "model": model, "params": params})
			p := &prompt.Prompt{Name: name, Variant: variant, Path: pp.File, Model: model, ModelLine: pv.Line,
				Description: c.Description, Params: params, Source: source, Template: pp.Raw, TemplateLine: pp.Line,
				DependsOn: c.Files}
			if err := set.AddExternal(p, render); err != nil {
				errs = append(errs, diag.Errorf(pp.File, pp.Line, "%v", err))
				continue
			}
			suites = append(suites, &suite.Suite{Path: c.Path, Prompt: name, Variant: variant, PromptLine: pp.Line,
				Threshold: 1, Repeat: 1, Description: c.Description, Tests: cases})
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return suites, nil
}

func (c *Config) cases(errs *diag.List) []suite.Case {
	out := make([]suite.Case, 0, len(c.Tests))
	for i, t := range c.Tests {
		sc := suite.Case{Index: i, Description: t.Description, Vars: t.Vars, Threshold: t.Threshold, Line: t.Line, VarLines: map[string]int{}}
		for _, a := range t.Asserts {
			a, err := renderAssertValue(a, t.Vars)
			if err != nil {
				*errs = diag.Append(*errs, err)
				continue
			}
			compiled, err := c.compileAssertion(a)
			if err != nil {
				*errs = diag.Append(*errs, err)
				continue
			}
			sc.Asserts = append(sc.Asserts, compiled)
		}
		out = append(out, sc)
	}
	return out
}

var nameRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_/-]*$`)

// promptName is the prompt's label when it makes a usable name, else
// prompt-N by its position.
func promptName(p Prompt, i int) string {
	if nameRe.MatchString(p.Label) {
		return p.Label
	}
	return fmt.Sprintf("prompt-%d", i+1)
}

func labelIfSet(p Provider) string {
	if p.Label != p.ID {
		return p.Label
	}
	return ""
}

var slugRe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func slug(s string) string {
	return strings.Trim(slugRe.ReplaceAllString(s, "-"), "-")
}

// addProvider registers a provider with its own base URL in cfg (once) and
// returns its name.
func addProvider(cfg *config.Config, p Provider) string {
	name := "promptfoo-" + slug(cmp.Or(labelIfSet(p), p.Model))
	for _, have := range cfg.Providers {
		if have.Name == name {
			return name
		}
	}
	keyEnv := p.APIKeyEnv
	if keyEnv == "" {
		keyEnv = config.DefaultAPIKeyEnv
	}
	cfg.Providers = append(cfg.Providers, config.Provider{Name: name, BaseURL: strings.TrimRight(p.BaseURL, "/"), APIKeyEnv: keyEnv,
		Concurrency: config.DefaultConcurrency, Timeout: config.DefaultTimeout, MaxRetries: config.DefaultMaxRetries})
	return name
}
