package config

import (
	"slices"
	"strconv"
	"strings"
)

// RuleSections are the promptgate.yaml sections that decide how a change is
// judged. `promptgate check` reads them at the base commit: a pull request that
// edits them sees its edits listed as taking effect after merge, never applied
// to its own check.
var RuleSections = []string{"providers", "pricing", "traffic", "budget", "gate"}

// RuleChange is one rule a pull request changes: a key of a rule section, or a
// suite's threshold. Base and Head are the values as written ("" when the key
// is not set on that side); base URLs have their credentials redacted.
type RuleChange struct {
	// Key names what changed: "gate.max_cost_increase_pct", "providers.local.base_url",
	// or "threshold" for a suite.
	Key string
	// File and Line locate the change at head; a key head removed points at
	// what encloses it there, or at no line.
	File string
	Line int
	Base string
	Head string
	// Effect says what the check did instead of following Head, when that
	// needs saying ("not called before merge", "judged at 0.75").
	Effect string
}

// RuleChanges lists the keys of the rule sections whose values differ between
// base and head, in section order and then by key. Providers are compared
// field by field, so a new endpoint shows as its base_url; the other sections
// entry by entry (a pricing model, a traffic name, a gate key).
func RuleChanges(base, head *Config) []RuleChange {
	if base == nil {
		base = Default()
	}
	if head == nil {
		head = Default()
	}
	var out []RuleChange
	for _, section := range RuleSections {
		depth := 2
		if section == "providers" {
			depth = 3
		}
		keys := append(keysUnder(base.values, section, depth), keysUnder(head.values, section, depth)...)
		slices.Sort(keys)
		for _, k := range slices.Compact(keys) {
			bv, inBase := base.values[k]
			hv, inHead := head.values[k]
			if inBase == inHead && bv.value == hv.value {
				continue
			}
			kv := hv
			if !inHead {
				kv = bv
			}
			rc := RuleChange{Key: k, File: head.Path, Line: head.lineOf(kv.path), Base: display(bv), Head: display(hv)}
			if !inHead && head.Path == "" {
				rc.File, rc.Line = base.Path, base.lineOf(kv.path)
			}
			if section == "providers" && len(kv.path) > 1 {
				rc.Effect = "base's provider used"
				if _, ok := base.Provider(kv.path[1]); !ok {
					rc.Effect = "a provider this change adds: not called before merge"
				}
			}
			out = append(out, rc)
		}
		if section == "providers" {
			out = append(out, derivedProviderChanges(base, head)...)
		}
	}
	return out
}

// derivedProviderChanges compares the providers that no promptgate.yaml
// declares: those a promptfoo config adds with its apiBaseUrl and
// apiKeyEnvar. They are rules too, read at base like the others.
func derivedProviderChanges(base, head *Config) []RuleChange {
	declared := map[string]bool{}
	for _, c := range []*Config{base, head} {
		for _, kv := range c.values {
			if kv.path[0] == "providers" && len(kv.path) > 1 {
				declared[kv.path[1]] = true
			}
		}
	}
	var out []RuleChange
	for _, hp := range head.Providers {
		if declared[hp.Name] || hp.Untrusted != "" {
			continue
		}
		bp, atBase := base.Provider(hp.Name)
		effect := "base's provider used"
		if !atBase {
			effect = "a provider this change adds: not called before merge"
		}
		for _, f := range []struct{ key, base, head string }{
			{"base_url", bp.BaseURL, hp.BaseURL}, {"api_key_env", bp.APIKeyEnv, hp.APIKeyEnv},
		} {
			if f.base != f.head {
				out = append(out, RuleChange{Key: "providers." + hp.Name + "." + f.key, Base: RedactURL(f.base), Head: RedactURL(f.head),
					Effect: effect + " (a provider from a promptfoo config)"})
			}
		}
	}
	return out
}

// keysUnder returns the keys of section at exactly depth, and the shallower
// ones with nothing recorded below them (a section or provider written as a
// scalar or an empty map), so every value is compared once.
func keysUnder(values map[string]keyValue, section string, depth int) []string {
	var out []string
	for k, kv := range values {
		if kv.path[0] != section {
			continue
		}
		if len(kv.path) == depth || (len(kv.path) < depth && kv.leaf) {
			out = append(out, k)
		}
	}
	return out
}

// lineOf is the line of the key at path, falling back to the nearest
// enclosing key that has one.
func (c *Config) lineOf(path []string) int {
	for n := len(path); n > 0; n-- {
		if l := c.lines[strings.Join(path[:n], ".")]; l > 0 {
			return l
		}
	}
	return 0
}

// display renders a key's canonical value for people: strings without their
// quotes, credentials redacted from any URL, "" for a key that is not set.
func display(kv keyValue) string {
	if kv.path == nil {
		return ""
	}
	v := kv.value
	if s, err := strconv.Unquote(v); err == nil {
		v = s
	}
	return RedactURL(v)
}

// WithRulesFrom returns a copy of c whose rule sections (providers, pricing,
// traffic, budget, gate) are base's. Providers that only c has are kept, under
// their name, with Untrusted set, so a model string that names one is refused
// rather than sent to base's default endpoint; a provider both have is base's,
// endpoint and key variable included. Everything else (prompts, suites,
// defaults, paths, rollout, and the file's lines, which annotations point at)
// stays c's own.
func (c *Config) WithRulesFrom(base *Config) *Config {
	if base == nil {
		base = Default()
	}
	out := *c
	out.Providers = slices.Clone(base.Providers)
	out.DefaultProvider = base.DefaultProvider
	for _, p := range c.Providers {
		if _, ok := base.Provider(p.Name); !ok {
			p.Untrusted = "provider " + p.Name + " is added by this change and is not called before it is merged"
			out.Providers = append(out.Providers, p)
		}
	}
	out.Pricing = base.Pricing
	out.Traffic = base.Traffic
	out.Budget = base.Budget
	out.Gate = base.Gate
	// Section and the key index describe the rules in force: base's.
	out.sections = map[string]string{}
	for k, v := range c.sections {
		if !slices.Contains(RuleSections, k) {
			out.sections[k] = v
		}
	}
	for _, section := range RuleSections {
		if v, ok := base.sections[section]; ok {
			out.sections[section] = v
		}
	}
	out.values = map[string]keyValue{}
	for k, v := range c.values {
		if !slices.Contains(RuleSections, v.path[0]) {
			out.values[k] = v
		}
	}
	for k, v := range base.values {
		if slices.Contains(RuleSections, v.path[0]) {
			out.values[k] = v
		}
	}
	return &out
}
