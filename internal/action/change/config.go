package change

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// config applies the promptgate.yaml rules that do not depend on a prompt's
// model: pricing, traffic, gate, budget and the judge model. Sections are
// compared in their canonical encoding, so comments and formatting never count.
func (d *detector) config() {
	b, h := d.base.cfg, d.head.cfg
	changed := func(section string) bool { return b.Section(section) != h.Section(section) }
	if changed("pricing") {
		d.pricing()
	}
	if changed("traffic") {
		d.traffic()
	}
	for _, rule := range []struct {
		section string
		reason  Reason
	}{{"gate", ReasonGateChanged}, {"budget", ReasonBudgetChanged}} {
		// The gate's verdict is over the whole PR, so every prompt's projection
		// feeds it; none of their outputs can change.
		if changed(rule.section) {
			for _, key := range d.allKeys() {
				d.addReproject(key, rule.reason)
			}
		}
	}
	if b.Defaults.JudgeModel != h.Defaults.JudgeModel {
		d.judge()
	}
}

// pricing re-projects each prompt whose model's price differs between the
// base and head price tables (the built-in table with each side's overrides).
func (d *detector) pricing() {
	bt, ht := cost.ForConfig(d.base.cfg), cost.ForConfig(d.head.cfg)
	for _, key := range d.allKeys() {
		for _, s := range []side{d.base, d.head} {
			p, ok := s.byKey[key]
			if !ok {
				continue
			}
			model := resolve(s.cfg, p).model
			bp, bok := bt.Lookup(model)
			hp, hok := ht.Lookup(model)
			if bok != hok || bp.Input != hp.Input || bp.Output != hp.Output {
				d.addReproject(key, ReasonPricingChanged)
			}
		}
	}
}

// traffic re-projects the prompts named by each changed traffic entry: a
// prompt name covers all its variants, a prompt key just that variant, and a
// flag key every prompt the flag serves.
func (d *detector) traffic() {
	bt, ht := d.base.cfg.Traffic, d.head.cfg.Traffic
	names := slices.Collect(maps.Keys(bt))
	names = append(names, slices.Collect(maps.Keys(ht))...)
	slices.Sort(names)
	baseFlags, headFlags := flagd.Summarize(d.base.Flags), flagd.Summarize(d.head.Flags)
	for _, name := range slices.Compact(names) {
		bv, bok := bt[name]
		hv, hok := ht[name]
		if bok == hok && bv == hv {
			continue
		}
		for _, key := range d.allKeys() {
			p := d.prompt(key)
			if key == name || p.Name == name {
				d.addReproject(key, ReasonTrafficChanged)
			}
		}
		for _, fl := range []flagd.Summary{baseFlags, headFlags} {
			for _, ref := range fl.Flags[name].Refs {
				if d.known(ref) {
					d.addReproject(ref, ReasonTrafficChanged)
				}
			}
		}
	}
}

// judge re-evaluates prompts whose suites grade with llm-rubric on the default
// judge model, when that default changed.
func (d *detector) judge() {
	for _, s := range []side{d.base, d.head} {
		for _, st := range s.Suites {
			if st != nil && usesDefaultJudge(st) {
				d.addReeval(Key(st.Prompt, st.Variant), ReasonJudgeChanged)
			}
		}
	}
}

func usesDefaultJudge(st *suite.Suite) bool {
	if st.Judge != "" {
		return false
	}
	for _, c := range st.Tests {
		for _, a := range c.Asserts {
			if a.Judged() && a.Provider == "" {
				return true
			}
		}
	}
	return false
}

// models re-evaluates every prompt, present on both sides, whose model or
// provider resolves differently at head: a changed `model:` in its front
// matter, a changed defaults.model, a different default provider, or a changed
// provider endpoint.
func (d *detector) models() {
	for _, key := range d.allKeys() {
		bp, bok := d.base.byKey[key]
		hp, hok := d.head.byKey[key]
		if !bok || !hok {
			continue
		}
		br, hr := resolve(d.base.cfg, bp), resolve(d.head.cfg, hp)
		if br.model != hr.model {
			d.addReeval(key, ReasonModelChanged)
		}
		if br.provider != hr.provider {
			d.addReeval(key, Reason(fmt.Sprintf(string(ReasonProviderChanged), hr.provider.Name)))
		}
	}
}

// resolution is how a prompt's model reaches an endpoint.
type resolution struct {
	// model is the model string as written (or defaulted), provider prefix included.
	model string
	// provider is the serving provider's settings that can change an output;
	// Concurrency and the rate limits are zeroed, since they only change
	// throughput.
	provider config.Provider
}

// resolve follows SPEC: a prefix naming a configured provider ("local/llama3.1")
// picks that provider; any other model string goes to the default provider.
func resolve(cfg *config.Config, p *prompt.Prompt) resolution {
	model := p.Model
	if model == "" {
		model = cfg.Defaults.Model
	}
	name := cfg.DefaultProvider
	if prefix, _, ok := strings.Cut(model, "/"); ok {
		if _, ok := cfg.Provider(prefix); ok {
			name = prefix
		}
	}
	prov, _ := cfg.Provider(name)
	prov.Name = name
	prov.Concurrency, prov.RPM, prov.TPM, prov.RateLimitWait = 0, 0, 0, 0
	return resolution{model: model, provider: prov}
}

// prompt returns the prompt with key at head, else at base.
func (d *detector) prompt(key string) *prompt.Prompt {
	if p, ok := d.head.byKey[key]; ok {
		return p
	}
	return d.base.byKey[key]
}

// known reports whether key names a prompt at base or head.
func (d *detector) known(key string) bool {
	_, b := d.base.byKey[key]
	_, h := d.head.byKey[key]
	return b || h
}

// flags re-projects the prompts served by every flag that differs between base
// and head: a new split, new variants, new targeting or a changed default.
func (d *detector) flags() {
	if bytes.Equal(d.base.Flags, d.head.Flags) {
		return
	}
	b, h := flagd.Summarize(d.base.Flags), flagd.Summarize(d.head.Flags)
	keys := slices.Collect(maps.Keys(b.Flags))
	keys = append(keys, slices.Collect(maps.Keys(h.Flags))...)
	slices.Sort(keys)
	for _, key := range slices.Compact(keys) {
		bf, bok := b.Flags[key]
		hf, hok := h.Flags[key]
		if bok && hok && bf.Canonical == hf.Canonical && b.Evaluators == h.Evaluators {
			continue
		}
		reason := Reason(fmt.Sprintf(string(ReasonFlagChanged), key))
		for _, ref := range append(slices.Clone(bf.Refs), hf.Refs...) {
			if d.known(ref) {
				d.addReproject(ref, reason)
			}
		}
	}
}
