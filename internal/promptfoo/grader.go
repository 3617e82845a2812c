package promptfoo

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/diag"
)

// graderModel reads a grader provider (an id, or a mapping with id and
// config) as the model string promptgate's judge calls use. A grader with
// its own config.apiBaseUrl or config.apiKeyEnvar becomes a provider of its
// own (Config.Graders), and the model string names it (PROVIDER/MODEL), so
// its judge calls go to that endpoint with that key, as promptfoo sends
// them; in `check` that provider is a rule like the others, read at base.
func (l *loader) graderModel(file string, v *yaml.Node) string {
	p := Provider{ID: v.Value, File: file, Line: v.Line}
	if v.Kind == yaml.MappingNode {
		l.providerFields(file, v, &p, "grader provider")
	}
	m, ok := openAIModel(p.ID)
	if !ok {
		l.warn(file, v.Line, "grader provider %q is not supported; the default judge model is used", p.ID)
		return ""
	}
	p.Model = m
	if p.BaseURL == "" && p.APIKeyEnv == "" {
		return m
	}
	return l.addGrader(p) + "/" + m
}

// addGrader names a grader provider and records it once: graders with the
// same model, endpoint and key share a name; another endpoint for the same
// model gets a numbered one.
func (l *loader) addGrader(p Provider) string {
	base := "promptfoo-judge-" + slug(p.Model)
	n := 1
	for _, have := range l.cfg.Graders {
		if have.Model != p.Model {
			continue
		}
		if have.BaseURL == p.BaseURL && have.APIKeyEnv == p.APIKeyEnv {
			return have.Label
		}
		n++
	}
	p.Label = base
	if n > 1 {
		p.Label = fmt.Sprintf("%s-%d", base, n)
	}
	l.cfg.Graders = append(l.cfg.Graders, p)
	return p.Label
}

// addGraders registers the config's grader providers in cfg. A name another
// config already gave a different endpoint or key is an error at the
// grader's line: sending one config's judge calls to the other's endpoint
// would be silent.
func (c *Config) addGraders(cfg *config.Config, errs *diag.List) {
	for _, g := range c.Graders {
		keyEnv := g.APIKeyEnv
		if keyEnv == "" {
			keyEnv = config.DefaultAPIKeyEnv
		}
		baseURL := strings.TrimRight(g.BaseURL, "/")
		if have, ok := cfg.Provider(g.Label); ok {
			if have.BaseURL != baseURL || have.APIKeyEnv != keyEnv {
				*errs = append(*errs, diag.Errorf(g.File, g.Line, "grader provider %s: another promptfoo config gives a grader of model %s another endpoint or key; "+
					"use one grader endpoint per model across the configs", g.ID, g.Model))
			}
			continue
		}
		cfg.Providers = append(cfg.Providers, config.Provider{Name: g.Label, BaseURL: baseURL, APIKeyEnv: keyEnv,
			Concurrency: config.DefaultConcurrency, Timeout: config.DefaultTimeout, MaxRetries: config.DefaultMaxRetries})
	}
}
