package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/project"
)

// crossRefs checks the entries of the rules that name something elsewhere
// in the repository (traffic, budget.owners, candidates), the way `eval`
// refuses them, but read as every rule is in a check:
//   - the rules in force are base's: an entry of base's that matches nothing
//     at head (the change renamed the prompt it prices) is a warning, since
//     the projection or budget it feeds silently shrinks;
//   - head's entries as written take effect after merge: one that matches
//     nothing at head, and did not already at base, is listed under Config
//     changes with what it misses, never applied.
func crossRefs(base, head side, headProj *project.Project) ([]config.RuleChange, []string) {
	baseCfg := base.cfg()
	var atBase []project.Dangling
	if base.proj != nil {
		atBase, _ = project.CrossRefs(base.proj, base.snap.Flags, cost.ForConfig(baseCfg))
	}
	wasDangling := func(d project.Dangling) bool {
		return slices.ContainsFunc(atBase, func(b project.Dangling) bool { return b.Key == d.Key && b.Name == d.Name })
	}

	var warnings []string
	inForce := &project.Project{Config: baseCfg, Prompts: headProj.Prompts, Suites: headProj.Suites, Owners: headProj.Owners}
	dangling, _ := project.CrossRefs(inForce, head.snap.Flags, cost.ForConfig(baseCfg))
	for _, d := range dangling {
		note := "this change leaves it matching nothing"
		if wasDangling(d) {
			note = "it matched nothing at base either"
		}
		warnings = append(warnings, fmt.Sprintf("%s:%d (the base commit's rules, in force for this check): %s; %s", d.File, d.Line, d.Why, note))
	}

	var changes []config.RuleChange
	written, _ := project.CrossRefs(headProj, head.snap.Flags, cost.ForConfig(headProj.Config))
	for _, d := range written {
		if wasDangling(d) {
			continue
		}
		rc := config.RuleChange{Key: d.Key, File: d.File, Line: d.Line, Head: d.Name,
			Effect: "matches nothing at head, not applied: " + strings.TrimPrefix(d.Why, d.Key+": ")}
		if baseHas(baseCfg, d) {
			rc.Base = d.Name
		}
		changes = append(changes, rc)
	}
	return changes, warnings
}

// baseHas reports whether base's config has the same entry, naming the
// same thing.
func baseHas(c *config.Config, d project.Dangling) bool {
	switch {
	case strings.HasPrefix(d.Key, "traffic."):
		_, ok := c.Traffic[d.Name]
		return ok
	case strings.HasPrefix(d.Key, "budget.owners."):
		_, ok := c.Budget.Owners[d.Name]
		return ok
	}
	return slices.Contains(c.Candidates, d.Name)
}
