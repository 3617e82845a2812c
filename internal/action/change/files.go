package change

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
)

// file applies the file rules to one changed path. A rename is judged by both
// its old and its new path, so moving a prompt out of the prompts folder counts
// as removing it, and moving one in as adding it.
func (d *detector) file(c gitrepo.FileChange) {
	related := false
	for _, p := range []string{c.Path, c.OldPath} {
		if p != "" && d.path(cleanPath(p)) {
			related = true
		}
	}
	if !related && c.Path != "" {
		d.other[cleanPath(c.Path)] = true
	}
}

// path applies the file rules to one path and reports whether it is LLM-related.
func (d *detector) path(p string) bool {
	switch {
	case d.isConfigFile(p), d.isFlagsFile(p):
		// Compared section by section and flag by flag in config and flags.
		return true
	case strings.HasSuffix(p, prompt.Ext) && d.underPrompts(p):
		if name, ok := prompt.PartialName(p); ok {
			d.partial(name)
		} else {
			d.promptFile(p)
		}
		return true
	}
	if d.toolFile(p) {
		return true
	}
	external := d.externalSource(p)
	return d.suiteFile(p) || external
}

// externalSource re-evaluates the prompts read from p when they are not
// .prompt files (a promptfoo config's prompt, test, var and value files).
func (d *detector) externalSource(p string) bool {
	found := false
	for _, s := range []side{d.base, d.head} {
		for _, pr := range s.prompts {
			for _, f := range pr.DependsOn {
				if cleanPath(f) == p {
					d.addReeval(Key(pr.Name, pr.Variant), Reason(fmt.Sprintf(string(ReasonSuiteChanged), p)))
					found = true
				}
			}
		}
	}
	return found
}

func (d *detector) isConfigFile(p string) bool {
	return p == d.base.cfg.Path || p == d.head.cfg.Path || p == config.FileName
}

func (d *detector) isFlagsFile(p string) bool {
	for _, f := range []string{d.base.FlagsFile, d.head.FlagsFile, d.base.cfg.Rollout.FlagsFile, d.head.cfg.Rollout.FlagsFile} {
		if f != "" && p == cleanPath(f) {
			return true
		}
	}
	return false
}

func (d *detector) underPrompts(p string) bool {
	return under(p, d.base.cfg.Paths.Prompts) || under(p, d.head.cfg.Paths.Prompts)
}

// partial re-evaluates every prompt that uses the partial, at base or at head:
// a prompt that stops using it changed too.
func (d *detector) partial(name string) {
	reason := Reason(fmt.Sprintf(string(ReasonPartialChanged), name))
	for _, s := range []side{d.base, d.head} {
		if s.Prompts == nil {
			continue
		}
		for _, p := range s.Prompts.Dependents(name) {
			d.addReeval(Key(p.Name, p.Variant), reason)
		}
	}
}

// promptFile re-evaluates the prompt a changed .prompt file defines.
func (d *detector) promptFile(p string) {
	var keys []string
	for _, s := range []side{d.base, d.head} {
		if pr, ok := s.byPath[p]; ok {
			keys = append(keys, Key(pr.Name, pr.Variant))
		}
	}
	if len(keys) == 0 {
		// In neither snapshot (it did not load on either side): name it from its
		// path as prompt.Load would, so the change is still reported.
		for _, root := range []string{d.base.cfg.Paths.Prompts, d.head.cfg.Paths.Prompts} {
			if key, ok := keyFromPath(p, root); ok {
				keys = append(keys, key)
				break
			}
		}
	}
	for _, key := range slices.Compact(keys) {
		_, atBase := d.base.byKey[key]
		_, atHead := d.head.byKey[key]
		switch {
		case atBase && !atHead:
			d.addReeval(key, ReasonPromptRemoved)
		case atHead && !atBase:
			d.addReeval(key, ReasonPromptAdded)
		default:
			d.addReeval(key, ReasonPromptChanged)
		}
	}
}

// suiteFile re-evaluates the prompt a changed suite tests (at base, head or
// both: a suite may switch prompts) and reports whether p is a suite.
func (d *detector) suiteFile(p string) bool {
	found := false
	reason := Reason(fmt.Sprintf(string(ReasonSuiteChanged), p))
	for _, s := range []side{d.base, d.head} {
		for _, st := range s.Suites {
			if st != nil && cleanPath(st.Path) == p {
				d.addReeval(Key(st.Prompt, st.Variant), reason)
				found = true
			}
		}
	}
	return found
}

// under reports whether p is inside dir ("" or "." is the repo root).
func under(p, dir string) bool {
	dir = path.Clean(cleanPath(dir))
	return dir == "." || dir == "" || strings.HasPrefix(p, dir+"/")
}

// keyFromPath names a prompt file the way prompt.Load does: its path under the
// prompts root without the extension, with the variant after the first dot of
// the file name.
func keyFromPath(p, root string) (string, bool) {
	if !under(p, root) {
		return "", false
	}
	if root = path.Clean(cleanPath(root)); root != "." && root != "" {
		p = strings.TrimPrefix(p, root+"/")
	}
	stem := strings.TrimSuffix(p, prompt.Ext)
	dir, base := path.Split(stem)
	name, variant, _ := strings.Cut(base, ".")
	if name == "" {
		return "", false
	}
	return Key(dir+name, variant), true
}
