package project

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/flagd"
)

// Dangling is a promptgate.yaml entry that names something the project does
// not have: a traffic key that is no prompt, variant or flag, a
// budget.owners entry that owns no prompt, a candidate model with no price
// and no provider prefix. Each silently weakens a gate or the what-if.
type Dangling struct {
	// Key is the entry ("traffic.triage/replies", "budget.owners.@acme/x",
	// "candidates.0"); Name the name it gives.
	Key, Name string
	File      string
	Line      int
	// Why says what the entry fails to match and the closest known name.
	Why string
}

// Err is the entry as a configuration error at its file and line.
func (d Dangling) Err() *diag.Error { return diag.Errorf(d.File, d.Line, "%s", d.Why) }

// CrossRefs checks the promptgate.yaml entries that name something
// elsewhere in the project: the dangling ones come back with the closest
// known name, and a prompt model missing from the price table is a warning.
// flags is the rollout flags file's content (nil when there is none).
func CrossRefs(proj *Project, flags []byte, prices *cost.Table) ([]Dangling, []string) {
	cfg := proj.Config
	file := cmp.Or(cfg.Path, config.FileName)
	var out []Dangling
	var warns []string

	var targets, owners []string
	for _, p := range proj.Prompts.All() {
		targets = append(targets, p.Name)
		if p.Variant != "" {
			targets = append(targets, p.Name+"."+p.Variant)
		}
		if o, _ := proj.Owners.Of(p.Path, p.Owner); o != "" && !slices.Contains(owners, o) {
			owners = append(owners, o)
		}
	}
	for _, s := range proj.Suites {
		if !slices.Contains(targets, s.Prompt) {
			targets = append(targets, s.Prompt) // promptfoo prompts are named by their suites
		}
	}
	if flags != nil {
		if names, err := flagd.Flags(flags, flagd.FormatForPath(cfg.Rollout.FlagsFile)); err == nil {
			targets = append(targets, names...)
		}
	}
	for _, key := range sortedKeys(cfg.Traffic) {
		if !slices.Contains(targets, key) {
			out = append(out, Dangling{Key: "traffic." + key, Name: key, File: file, Line: cfg.Line("traffic." + key),
				Why: fmt.Sprintf("traffic.%s: no prompt, prompt variant or flag is named %q, so this traffic is projected nowhere%s", key, key, suggest(key, targets))})
		}
	}
	for _, owner := range sortedKeys(cfg.Budget.Owners) {
		if !slices.Contains(owners, owner) {
			out = append(out, Dangling{Key: "budget.owners." + owner, Name: owner, File: file, Line: cfg.Line("budget.owners." + owner),
				Why: fmt.Sprintf("budget.owners.%s: no prompt is owned by %q (metadata.owner or CODEOWNERS), so this budget guards nothing%s", owner, owner, suggest(owner, owners))})
		}
	}
	known := prices.Models()
	for i, m := range cfg.Candidates {
		if routed(cfg, m) {
			continue
		}
		if _, ok := prices.Lookup(m); !ok {
			key := "candidates." + strconv.Itoa(i)
			out = append(out, Dangling{Key: key, Name: m, File: file, Line: cfg.Line(key),
				Why: fmt.Sprintf("candidates: %q is not in the price table, so its cost cannot be compared; add it under pricing: or name a provider (PROVIDER/MODEL)%s", m, suggest(m, known))})
		}
	}
	seen := map[string]bool{}
	for _, p := range proj.Prompts.All() {
		m := cmp.Or(p.Model, cfg.Defaults.Model)
		if m == "" || seen[m] || routed(cfg, m) {
			continue
		}
		seen[m] = true
		if _, ok := prices.Lookup(m); !ok {
			if hint := suggest(m, known); hint != "" {
				warns = append(warns, fmt.Sprintf("%s: model %q is not in the price table, so its cost is unknown%s", p.Path, m, hint))
			}
		}
	}
	return out, warns
}

// routed reports whether model names a configured provider as its prefix:
// a local or self-hosted model, which may have no price.
func routed(cfg *config.Config, model string) bool {
	prefix, _, ok := strings.Cut(model, "/")
	if !ok {
		return false
	}
	_, named := cfg.Provider(prefix)
	return named && prefix != cfg.DefaultProvider
}

// suggest is diag.DidYouMean with room for the longer names these entries
// have: a name a quarter of whose letters differ ("triage/replies" for
// "triage/reply") is still a typo.
func suggest(got string, known []string) string {
	if hint := diag.DidYouMean(got, known); hint != "" {
		return hint
	}
	best, bestDist := "", max(2, len(got)/4)+1
	for _, k := range slices.Sorted(slices.Values(known)) {
		if d := levenshtein.ComputeDistance(strings.ToLower(got), strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
