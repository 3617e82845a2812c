// Package change works out which prompts a pull request affects: from the files
// changed between base and head, and from what those files mean (prompts,
// partials, suites, promptgate.yaml sections, the flagd flags file), it decides
// which prompts must be evaluated again and which only need their monthly cost
// projected again. docs/change-detection.md describes the rules for users.
package change

import (
	"maps"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// Snapshot is one side (base or head) of the comparison, loaded from git. Any
// field may be nil or empty: a side whose files do not load is compared as if
// it had no prompts, suites or flags.
type Snapshot struct {
	Config  *config.Config
	Prompts *prompt.Set
	Suites  []*suite.Suite
	// FlagsFile is the repo-relative path of the flagd file; Flags its content
	// (nil when the file does not exist).
	FlagsFile string
	Flags     []byte
}

// Reason says, in words a PR author understands, why a prompt is affected.
type Reason string

// Reasons Detect gives. Reasons naming a file, partial, provider or flag are
// built with the fmt verbs in their text.
const (
	ReasonPromptChanged   Reason = "prompt file changed"
	ReasonPromptAdded     Reason = "prompt added"
	ReasonPromptRemoved   Reason = "prompt removed"
	ReasonPartialChanged  Reason = "partial _%s changed"
	ReasonSuiteChanged    Reason = "suite %s changed"
	ReasonProviderChanged Reason = "provider %s changed"
	ReasonModelChanged    Reason = "model changed"
	ReasonJudgeChanged    Reason = "judge model changed"
	ReasonPricingChanged  Reason = "pricing changed"
	ReasonTrafficChanged  Reason = "traffic changed"
	ReasonGateChanged     Reason = "gate changed"
	ReasonBudgetChanged   Reason = "budget changed"
	ReasonFlagChanged     Reason = "flag %s rollout changed"
)

// Affected is the outcome of Detect. Keys are prompt keys: "name" for a base
// prompt file, "name.variant" for a variant.
type Affected struct {
	// Reeval holds the prompts to evaluate at base and at head. Added and removed
	// prompts are here too, so the side that has them runs and the diff shows
	// them as new or gone.
	Reeval map[string][]Reason
	// Reproject holds prompts whose outputs cannot have changed but whose cost
	// projection can (pricing, traffic, gate, budget, flag split). A prompt in
	// Reeval is never here: its re-projection reasons are appended in Reeval.
	Reproject map[string][]Reason
	// Added and Removed are prompts only at head and only at base, sorted.
	Added, Removed []string
	// Other are changed files that are not LLM-related and are ignored, sorted.
	Other []string
}

// Empty reports whether nothing LLM-related changed, so the check can finish at
// once with "no LLM changes".
func (a Affected) Empty() bool {
	return len(a.Reeval) == 0 && len(a.Reproject) == 0 && len(a.Added) == 0 && len(a.Removed) == 0
}

// Keys returns every affected prompt key (Reeval and Reproject), sorted.
func (a Affected) Keys() []string {
	keys := slices.Collect(maps.Keys(a.Reeval))
	keys = append(keys, slices.Collect(maps.Keys(a.Reproject))...)
	slices.Sort(keys)
	return slices.Compact(keys)
}

// Key is the prompt key for a name and variant ("" for the base file).
func Key(name, variant string) string {
	if variant == "" {
		return name
	}
	return name + "." + variant
}

// Detect decides which prompts changes affect. changes is the diff between the
// two commits (gitrepo.Repo.ChangedFiles); base and head are what those commits
// contain. Config sections and flags are compared whether or not their file is
// in changes, so a config path given on the command line works too. Detect is
// pure and never fails: what it cannot place, it lists in Other.
func Detect(changes []gitrepo.FileChange, base, head Snapshot) Affected {
	d := newDetector(base, head)
	for _, c := range changes {
		d.file(c)
	}
	d.config()
	d.models()
	d.flags()
	return d.result()
}

// detector accumulates reasons while Detect runs.
type detector struct {
	base, head side
	reeval     map[string][]Reason
	reproject  map[string][]Reason
	other      map[string]bool
}

// side is a Snapshot with its lookups prepared and nil values replaced.
type side struct {
	Snapshot
	cfg     *config.Config
	prompts []*prompt.Prompt
	byKey   map[string]*prompt.Prompt
	byPath  map[string]*prompt.Prompt
}

func newSide(s Snapshot) side {
	sd := side{Snapshot: s, cfg: s.Config, byKey: map[string]*prompt.Prompt{}, byPath: map[string]*prompt.Prompt{}}
	if sd.cfg == nil {
		sd.cfg = config.Default()
	}
	if s.Prompts != nil {
		sd.prompts = s.Prompts.All()
	}
	for _, p := range sd.prompts {
		sd.byKey[Key(p.Name, p.Variant)] = p
		sd.byPath[cleanPath(p.Path)] = p
	}
	return sd
}

func newDetector(base, head Snapshot) *detector {
	return &detector{
		base: newSide(base), head: newSide(head),
		reeval: map[string][]Reason{}, reproject: map[string][]Reason{}, other: map[string]bool{},
	}
}

func (d *detector) addReeval(key string, r Reason) {
	if key != "" && !slices.Contains(d.reeval[key], r) {
		d.reeval[key] = append(d.reeval[key], r)
	}
}

func (d *detector) addReproject(key string, r Reason) {
	if key != "" && !slices.Contains(d.reproject[key], r) {
		d.reproject[key] = append(d.reproject[key], r)
	}
}

// allKeys returns every prompt key at base or head, sorted.
func (d *detector) allKeys() []string {
	keys := slices.Collect(maps.Keys(d.base.byKey))
	keys = append(keys, slices.Collect(maps.Keys(d.head.byKey))...)
	slices.Sort(keys)
	return slices.Compact(keys)
}

func (d *detector) result() Affected {
	a := Affected{Reproject: map[string][]Reason{}}
	for key := range d.head.byKey {
		if _, ok := d.base.byKey[key]; !ok {
			a.Added = append(a.Added, key)
			d.addReeval(key, ReasonPromptAdded)
		}
	}
	for key := range d.base.byKey {
		if _, ok := d.head.byKey[key]; !ok {
			a.Removed = append(a.Removed, key)
			d.addReeval(key, ReasonPromptRemoved)
		}
	}
	a.Reeval = d.reeval
	for key, reasons := range d.reproject {
		if _, ok := a.Reeval[key]; ok {
			for _, r := range reasons {
				d.addReeval(key, r)
			}
			continue
		}
		a.Reproject[key] = reasons
	}
	slices.Sort(a.Added)
	slices.Sort(a.Removed)
	for p := range d.other {
		a.Other = append(a.Other, p)
	}
	slices.Sort(a.Other)
	if len(a.Reeval) == 0 {
		a.Reeval = nil
	}
	if len(a.Reproject) == 0 {
		a.Reproject = nil
	}
	return a
}

func cleanPath(p string) string {
	return strings.TrimPrefix(strings.TrimPrefix(p, "./"), "/")
}
