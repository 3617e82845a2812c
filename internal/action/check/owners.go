package check

import (
	"bytes"
	"sort"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/owners"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/prompt"
)

// promptOwners says who owns each prompt key, as of base, so a change cannot
// move a prompt's cost to another owner's budget before it is merged:
//   - a prompt base has: base's metadata.owner, else base's CODEOWNERS;
//   - a new variant of a prompt name base has (summarize.v2 next to
//     summarize): owned as base owns that prompt, since the variant takes
//     its traffic;
//   - a brand-new prompt name: its own metadata.owner, else base's CODEOWNERS.
//
// Every metadata.owner head writes that differs from the owner used is
// listed as a config change, as is a new prompt's own owner, which counts.
func promptOwners(base, head *project.Project, keys map[string]bool) (map[string]string, []config.RuleChange) {
	var rules *owners.Rules
	if base != nil {
		rules = base.Owners
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	out := map[string]string{}
	var changes []config.RuleChange
	for _, k := range sorted {
		name, variant, _ := strings.Cut(k, ".")
		hp := get(head, name, variant)
		var owner, effect string
		switch bp, sibling := get(base, name, variant), namesake(base, name); {
		case bp != nil:
			owner, _ = rules.Of(bp.Path, bp.Owner)
			effect = "base's owner until merged"
		case sibling != nil && hp != nil:
			owner, _ = rules.Of(sibling.Path, sibling.Owner)
			effect = "a new variant of " + name + " is owned as base owns " + sibling.Path + " until merged"
		case hp != nil:
			owner, _ = rules.Of(hp.Path, hp.Owner)
			if hp.Owner != "" {
				changes = append(changes, config.RuleChange{Key: "metadata.owner", File: hp.Path, Line: ownerLine(hp),
					Head: hp.Owner, Effect: "counts now: " + k + " is a new prompt"})
			}
		}
		if owner != "" {
			out[k] = owner
		}
		if hp != nil && hp.Owner != "" && hp.Owner != owner && effect != "" {
			changes = append(changes, config.RuleChange{Key: "metadata.owner", File: hp.Path, Line: ownerLine(hp),
				Base: owner, Head: hp.Owner, Effect: effect})
		}
	}
	return out, changes
}

func get(p *project.Project, name, variant string) *prompt.Prompt {
	if p == nil || p.Prompts == nil {
		return nil
	}
	pr, _ := p.Prompts.Get(name, variant)
	return pr
}

// namesake is the prompt of this name in p: its base file, else its first
// variant; nil when p has no prompt of the name.
func namesake(p *project.Project, name string) *prompt.Prompt {
	if pr := get(p, name, ""); pr != nil {
		return pr
	}
	if p == nil || p.Prompts == nil {
		return nil
	}
	for _, pr := range p.Prompts.All() {
		if pr.Name == name {
			return pr
		}
	}
	return nil
}

// ownerLine is the line of the prompt's `owner:` key, 0 when not found.
func ownerLine(p *prompt.Prompt) int {
	for i, line := range bytes.Split(p.Source, []byte("\n")) {
		if t := bytes.TrimSpace(line); bytes.HasPrefix(t, []byte("owner:")) || bytes.Contains(t, []byte("{owner:")) || bytes.Contains(t, []byte("{ owner:")) {
			return i + 1
		}
	}
	return 0
}
