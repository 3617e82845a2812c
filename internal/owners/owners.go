// Package owners says who owns a prompt, for rolling cost up per owner and
// for per-owner budgets. A prompt's owner is `metadata.owner` in its front
// matter, else its CODEOWNERS owner under GitHub's rules: the first of
// .github/CODEOWNERS, CODEOWNERS and docs/CODEOWNERS is used, and the last
// matching pattern wins. Where a rule lists several owners, the first is the
// one cost is rolled up to, so no cost is counted twice.
package owners

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/hmarr/codeowners"
)

// Locations are where GitHub looks for CODEOWNERS, in its order.
var Locations = []string{".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"}

// Rules are a repository's CODEOWNERS rules. The zero value owns nothing.
type Rules struct {
	// File is the CODEOWNERS file the rules came from, "" when there is none.
	File string
	// Warnings name the lines that did not parse ("CODEOWNERS:4: …"); like
	// GitHub, the other lines still apply.
	Warnings []string
	set      codeowners.Ruleset
}

// Load reads the first CODEOWNERS file GitHub would use from fsys (a work
// tree or a commit). No file is no rules, not an error. A line that does not
// parse is skipped with a warning, as GitHub skips it.
func Load(fsys fs.FS) (*Rules, error) {
	for _, name := range Locations {
		b, err := fs.ReadFile(fsys, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		r := &Rules{File: name}
		for i, line := range strings.Split(string(b), "\n") {
			// One line at a time, so a bad line costs only itself.
			rules, err := codeowners.ParseFile(strings.NewReader(line))
			if err != nil {
				r.Warnings = append(r.Warnings, fmt.Sprintf("%s:%d: %v (line skipped)", name, i+1, strings.TrimPrefix(err.Error(), "line 1: ")))
				continue
			}
			for _, rule := range rules {
				if rule.RawPattern() == "/" {
					// The bare root matches no file, and the library
					// would index past its end matching it.
					r.Warnings = append(r.Warnings, fmt.Sprintf("%s:%d: the pattern / matches no file (line skipped)", name, i+1))
					continue
				}
				rule.LineNumber = i + 1
				r.set = append(r.set, rule)
			}
		}
		return r, nil
	}
	return &Rules{}, nil
}

// Owner is the owner of a repo-relative path: the first owner of the last
// matching rule, and the line of that rule; "" when no rule matches.
func (r *Rules) Owner(path string) (owner string, line int) {
	if r == nil || len(r.set) == 0 {
		return "", 0
	}
	rule, err := r.set.Match(path)
	if err != nil || rule == nil || len(rule.Owners) == 0 {
		return "", 0
	}
	return rule.Owners[0].String(), rule.LineNumber
}

// Of is a prompt's owner: its metadata.owner when set, else its CODEOWNERS
// owner. source says where it came from ("metadata.owner" or
// "CODEOWNERS:LINE"), "" when the prompt has no owner.
func (r *Rules) Of(promptPath, metadataOwner string) (owner, source string) {
	if metadataOwner != "" {
		return metadataOwner, "metadata.owner"
	}
	if o, line := r.Owner(promptPath); o != "" {
		return o, fmt.Sprintf("%s:%d", r.File, line)
	}
	return "", ""
}

// Compare orders owners for reports: by name, with the unowned ("") last.
func Compare(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	return strings.Compare(a, b)
}
