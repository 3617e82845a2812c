package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/action/change"
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
)

// flagShares reads which prompt variants each flag splits traffic between, and
// the rollout share, keyed by both prompt keys. Flags whose variants are not
// prompt keys (booleans, numbers, objects) are left out. A flag promptgate
// cannot read a split from (targeting other than one fractional rule) is
// projected with all its traffic on its default variant, and a note says so. A
// document that does not decode yields nothing: flagd itself and the rollout
// editor report why.
func flagShares(doc []byte, file string) (map[string]verdict.FlagShare, []string) {
	if len(doc) == 0 {
		return nil, nil
	}
	format := flagd.FormatForPath(file)
	// Which variant is stable, which is rolled out and at what share is read
	// by flagd.ReadSplit, the same reader the GitHub App edits with, so the
	// check projects exactly the split a /rollout wrote.
	flags, err := flagd.ReadVariants(doc, format)
	if err != nil {
		return nil, nil
	}
	out := map[string]verdict.FlagShare{}
	var notes []string
	for _, name := range slices.Sorted(maps.Keys(flags)) {
		f := flags[name]
		refs := map[string]string{} // variant → prompt key
		for v, val := range f.Variants {
			if s, ok := val.(string); ok && s != "" {
				refs[v] = s
			}
		}
		stableRef := refs[f.DefaultVariant]
		if stableRef == "" || len(refs) < 2 {
			continue
		}
		split, err := flagd.ReadSplit(doc, format, name)
		if err != nil || refs[split.Rollout] == "" {
			why := "its rollout variant is not a prompt"
			if err != nil {
				why = flagd.InFile(err, file).Error()
			}
			notes = append(notes, fmt.Sprintf("rollout share of flag %s (%s): projected with all its traffic on the default variant %s", name, why, f.DefaultVariant))
			for v, ref := range refs {
				if v != f.DefaultVariant {
					out[ref] = verdict.FlagShare{Flag: name, Stable: stableRef, Rollout: ref}
				}
			}
			out[stableRef] = verdict.FlagShare{Flag: name, Stable: stableRef}
			continue
		}
		fs := verdict.FlagShare{Flag: name, Stable: stableRef, Rollout: refs[split.Rollout], Pct: float64(split.RolloutPct)}
		out[fs.Stable] = fs
		out[fs.Rollout] = fs
	}
	return out, notes
}

// sharesFromBase keeps head's mapping of flags to prompt variants (a change
// may point a flag at the variant it adds) but projects each flag that base
// already splits at base's share: a change that lowers a dearer variant's
// share in the same commit would otherwise price itself down. A share the
// change edits is returned as a rule change that takes effect after merge.
func sharesFromBase(head, base map[string]verdict.FlagShare, file string) (map[string]verdict.FlagShare, []config.RuleChange) {
	basePct := map[string]float64{}
	for _, fs := range base {
		if fs.Rollout != "" {
			basePct[fs.Flag] = fs.Pct
		}
	}
	out := make(map[string]verdict.FlagShare, len(head))
	edited := map[string]float64{}
	for k, fs := range head {
		if p, ok := basePct[fs.Flag]; ok && fs.Rollout != "" && p != fs.Pct {
			edited[fs.Flag] = fs.Pct
			fs.Pct = p
		}
		out[k] = fs
	}
	var changes []config.RuleChange
	for _, flag := range slices.Sorted(maps.Keys(edited)) {
		changes = append(changes, config.RuleChange{Key: "flag " + flag + " rollout share", File: file,
			Base: fmt.Sprintf("%g%%", basePct[flag]), Head: fmt.Sprintf("%g%%", edited[flag]),
			Effect: fmt.Sprintf("projected at base's %g%% until merged", basePct[flag])})
	}
	return out, changes
}

// markSplits marks a flag's "rollout changed" reason when the change edits
// the flag's share, which is projected at base's until the change is merged.
func markSplits(rs []string, splits []config.RuleChange) []string {
	for i, r := range rs {
		for _, c := range splits {
			flag := strings.TrimSuffix(strings.TrimPrefix(c.Key, "flag "), " rollout share")
			if r == fmt.Sprintf(string(change.ReasonFlagChanged), flag) {
				rs[i] = r + " (projected at base's share until merged)"
			}
		}
	}
	return rs
}
