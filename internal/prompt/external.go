package prompt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/promptgate/promptgate/internal/llm"
)

// RenderFunc renders a prompt that is not a .prompt file (such as a prompt of
// a promptfoo config) into chat messages.
type RenderFunc func(vars map[string]any) ([]llm.Message, error)

// AddExternal adds a prompt defined outside the prompts root, rendered by
// render rather than by Dotprompt, so suites, change detection, cost and
// rollout treat it like any other prompt. p.Source is what its version hash
// is computed from. Name and variant must be new to the set.
func (s *Set) AddExternal(p *Prompt, render RenderFunc) error {
	if s.byKey == nil {
		s.byKey = map[key]*Prompt{}
	}
	k := key{p.Name, p.Variant}
	if old, dup := s.byKey[k]; dup {
		return fmt.Errorf("prompt %s is defined twice: %s and %s", fullName(p), old.Path, p.Path)
	}
	sum := sha256.Sum256(p.Source)
	p.Hash = hex.EncodeToString(sum[:])[:12]
	p.external = render
	s.byKey[k] = p
	s.prompts = append(s.prompts, p)
	sort.Slice(s.prompts, func(i, j int) bool {
		a, b := s.prompts[i], s.prompts[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Variant < b.Variant
	})
	return nil
}

func fullName(p *Prompt) string {
	if p.Variant == "" {
		return p.Name
	}
	return p.Name + "." + p.Variant
}
