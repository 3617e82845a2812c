package check

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/action/change"
	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/suite"
)

// thresholdsFromBase holds every head suite that already exists at base to
// base's threshold, and returns the thresholds head lowered or raised as rule
// changes. A suite exists at base when it has the same path, was renamed from
// a base suite in this change, or replaces a base suite the change deletes that
// tested the same prompt (a delete and re-add that git does not see as a
// rename). A suite that is new in every sense keeps its own threshold: base
// has none to hold it to, and its cases are new evidence, not a relaxed rule.
func thresholdsFromBase(base, head *project.Project, changes []gitrepo.FileChange) []config.RuleChange {
	if base == nil || head == nil {
		return nil
	}
	atBase := map[string]*suite.Suite{}
	for _, s := range base.Suites {
		if s != nil {
			atBase[cleanPath(s.Path)] = s
		}
	}
	renamedFrom := map[string]string{}
	for _, c := range changes {
		if c.OldPath != "" {
			renamedFrom[cleanPath(c.Path)] = cleanPath(c.OldPath)
		}
	}
	matched := map[*suite.Suite]*suite.Suite{} // head suite → its base suite
	kept := map[*suite.Suite]bool{}            // base suites that head still has
	for _, s := range head.Suites {
		if s == nil {
			continue
		}
		p := cleanPath(s.Path)
		b, ok := atBase[p]
		if !ok {
			b, ok = atBase[renamedFrom[p]]
		}
		if ok {
			matched[s], kept[b] = b, true
		}
	}
	// Base suites the change deletes, by the prompt they test: a new suite for
	// that prompt replaces them and needs the strictest of their thresholds.
	deleted := map[string]*suite.Suite{}
	for _, b := range base.Suites {
		if b == nil || kept[b] {
			continue
		}
		k := change.Key(b.Prompt, b.Variant)
		if d, ok := deleted[k]; !ok || b.Threshold > d.Threshold {
			deleted[k] = b
		}
	}
	var out []config.RuleChange
	for _, s := range head.Suites {
		if s == nil {
			continue
		}
		b, ok := matched[s]
		if !ok {
			if b, ok = deleted[change.Key(s.Prompt, s.Variant)]; !ok || b.Threshold <= s.Threshold {
				continue
			}
		}
		if b.Threshold == s.Threshold {
			continue
		}
		effect := "judged at base's " + formatRate(b.Threshold)
		if cleanPath(b.Path) != cleanPath(s.Path) && renamedFrom[cleanPath(s.Path)] != cleanPath(b.Path) {
			effect += ", the threshold of " + b.Path + ", which this change deletes"
		}
		out = append(out, config.RuleChange{Key: "threshold", File: s.Path, Line: s.ThresholdLine,
			Base: formatRate(b.Threshold), Head: formatRate(s.Threshold), Effect: effect})
		s.Threshold = b.Threshold
	}
	return out
}

func formatRate(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func cleanPath(p string) string { return path.Clean(strings.TrimPrefix(filepath.ToSlash(p), "./")) }

// markAfterMerge labels the affected-prompt reasons that come from a rule the
// change edits: the rule is listed under Config changes and decides nothing yet.
func markAfterMerge(rs []string, changes []config.RuleChange) []string {
	edited := map[string]bool{}
	for _, c := range changes {
		section, rest, _ := strings.Cut(c.Key, ".")
		edited[section] = true
		if section == "providers" {
			name, _, _ := strings.Cut(rest, ".")
			edited["provider "+name] = true
		}
	}
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r
		for _, rule := range []change.Reason{change.ReasonPricingChanged, change.ReasonTrafficChanged, change.ReasonGateChanged, change.ReasonBudgetChanged} {
			section, _, _ := strings.Cut(string(rule), " ")
			if r == string(rule) && edited[section] {
				out[i] = r + " (takes effect after merge)"
			}
		}
		if name, ok := strings.CutSuffix(r, " changed"); ok && strings.HasPrefix(name, "provider ") && edited[name] {
			out[i] = r + " (takes effect after merge)"
		}
	}
	return out
}

// openTrustedCache assembles the response cache the check reads and records
// into, and returns the keys of the entries the change adds or edits, which
// it never reads. Recorded answers are trusted from two places only:
//   - the base commit's tree at base's paths.cache (reviewed and merged); a
//     work-tree file is used when it is byte-for-byte that blob, else the blob
//     is read from git;
//   - the store directory (o.CacheDir: actions/cache's, outside the checkout),
//     which also records new answers. When it lies inside the work tree (a
//     local run), an entry there that is byte-for-byte what the change
//     committed at its path is hidden; one recorded over it here is the
//     developer's own and is read.
func openTrustedCache(ctx context.Context, repo gitrepo.Repo, o Options, baseSHA, headSHA string, baseCfg, headCfg *config.Config, changes []gitrepo.FileChange) (*cache.View, map[string]bool, error) {
	storeDir := o.CacheDir
	if storeDir == "" {
		storeDir = baseCfg.Paths.Cache
	}
	if !filepath.IsAbs(storeDir) {
		storeDir = filepath.Join(o.Dir, storeDir)
	}
	store, err := cache.Open(storeDir)
	if err != nil {
		return nil, nil, err
	}
	store.Logger = o.Logger
	storeRel := relInside(o.Dir, storeDir)
	cacheDirs := map[string]bool{}
	for _, d := range []string{baseCfg.Paths.Cache, headCfg.Paths.Cache, storeRel} {
		if rel, ok := repoRelative(d); ok {
			cacheDirs[rel] = true
		}
	}
	ignored := map[string]bool{}
	for _, c := range changes {
		if c.Status == 'D' {
			continue
		}
		p := cleanPath(c.Path)
		for dir := range cacheDirs {
			rest, ok := strings.CutPrefix(p, dir+"/")
			if dir == "." {
				rest, ok = p, true
			}
			if !ok {
				continue
			}
			if key, ok := cache.KeyOfPath(rest); ok {
				ignored[key] = true
			}
		}
	}
	view := &cache.View{Store: store}
	if rel, ok := repoRelative(baseCfg.Paths.Cache); ok {
		tree, err := repo.Tree(ctx, baseSHA, rel)
		if err != nil {
			return nil, nil, fmt.Errorf("list the base commit's response cache: %w", err)
		}
		if len(tree) > 0 {
			view.Readers = append(view.Readers, baseTreeReader(ctx, repo, filepath.Join(o.Dir, filepath.FromSlash(rel)), tree))
		}
	}
	var fromStore cache.Reader = store
	if rel, ok := repoRelative(storeRel); ok && storeRel != "" && len(ignored) > 0 {
		committed, err := repo.Tree(ctx, headSHA, rel)
		if err != nil {
			return nil, nil, fmt.Errorf("list the head commit's response cache: %w", err)
		}
		planted := map[string]string{}
		for path, object := range committed {
			if key, ok := cache.KeyOfPath(path); ok && ignored[key] {
				planted[key] = object
			}
		}
		fromStore = withoutPlanted(storeDir, planted)
	}
	view.Readers = append(view.Readers, fromStore)
	return view, ignored, nil
}

// withoutPlanted reads a store inside the work tree, hiding each entry whose
// bytes are exactly the blob the change committed at its path (planted maps
// its key to that blob).
func withoutPlanted(dir string, planted map[string]string) cache.Files {
	return func(rel string) ([]byte, bool, error) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, false, nil
		}
		key, _ := cache.KeyOfPath(rel)
		if object, ok := planted[key]; ok && gitrepo.BlobID(b, object) == object {
			return nil, false, nil
		}
		return b, true, nil
	}
}

// baseTreeReader reads the entries of the base commit's cache directory: from
// the work tree when the file there is exactly the committed blob (no git
// process), else from git.
func baseTreeReader(ctx context.Context, repo gitrepo.Repo, dir string, tree map[string]string) cache.Files {
	return func(rel string) ([]byte, bool, error) {
		object, ok := tree[rel]
		if !ok {
			return nil, false, nil
		}
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel))); err == nil && gitrepo.BlobID(b, object) == object {
			return b, true, nil
		}
		b, err := repo.Blob(ctx, object)
		if err != nil {
			return nil, false, fmt.Errorf("read base cache entry %s: %w", rel, err)
		}
		return b, true, nil
	}
}

// repoRelative cleans a repo-relative directory, refusing absolute paths and
// paths that leave the repository.
func repoRelative(dir string) (string, bool) {
	if dir == "" || filepath.IsAbs(dir) || strings.HasPrefix(dir, "/") {
		return "", false
	}
	p := cleanPath(dir)
	if p == ".." || strings.HasPrefix(p, "../") {
		return "", false
	}
	return p, true
}

// relInside returns dir relative to root when dir lies inside root, else "".
func relInside(root, dir string) string {
	absRoot, err1 := filepath.Abs(root)
	absDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return ""
	}
	rel, err := filepath.Rel(absRoot, absDir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// InsideWorkTree reports whether dir lies inside the work tree at root, where
// a pull request's files are checked out.
func InsideWorkTree(root, dir string) bool { return relInside(root, dir) != "" }
