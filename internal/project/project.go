// Package project loads everything promptgate reads from one version of a repo
// (promptgate.yaml, prompts/, evals/) out of an fs.FS, so the working tree and a
// git commit load the same way.
package project

import (
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/owners"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/promptfoo"
	"github.com/promptgate/promptgate/internal/suite"
)

// Project is one loaded version of a repo's promptgate files.
type Project struct {
	Config  *config.Config
	Prompts *prompt.Set
	Suites  []*suite.Suite
	// Promptfoo are the suites made from promptfoo configs (also in Suites).
	Promptfoo []*suite.Suite
	// Warnings name what the promptfoo configs hold that promptgate does not
	// use, at file and line.
	Warnings []error
	// Owners are the version's CODEOWNERS rules (empty when it has none).
	Owners *owners.Rules
}

// PromptfooFiles are the root promptfoo configs used when the repo has no
// promptgate.yaml.
var PromptfooFiles = []string{"promptfooconfig.yaml", "promptfooconfig.yml"}

// Load reads the config (configPath, "" for promptgate.yaml), prompts and suites
// from fsys. Every problem found is returned together as a diag.List.
func Load(fsys fs.FS, configPath string) (*Project, error) {
	return LoadWith(fsys, configPath, nil)
}

// LoadWith is Load with promptfooFiles, when not nil, read instead of the
// config's promptfoo list (and the root promptfooconfig.yaml fallback), as
// `promptgate eval --promptfoo FILE` does.
func LoadWith(fsys fs.FS, configPath string, promptfooFiles []string) (*Project, error) {
	if configPath == "" {
		configPath = config.FileName
	}
	cfg, err := config.Load(fsys, configPath)
	if err != nil {
		return nil, err
	}
	var errs diag.List
	set, err := prompt.LoadWithTools(fsys, cfg.Paths.Prompts, cfg.Paths.Tools)
	if err != nil {
		errs = diag.Append(errs, err)
	}
	suites, err := suite.Load(fsys, cfg.Paths.Evals)
	if err != nil {
		errs = diag.Append(errs, err)
	}
	rules, err := owners.Load(fsys)
	if err != nil {
		errs = append(errs, diag.Errorf("CODEOWNERS", 0, "%v", err))
	}
	proj := &Project{Config: cfg, Prompts: set, Suites: suites, Owners: rules}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	files := promptfooFiles
	if files == nil {
		files = promptfooConfigs(fsys, cfg)
	}
	for _, f := range files {
		pc, err := promptfoo.Load(fsys, f)
		if err != nil {
			errs = diag.Append(errs, err)
			continue
		}
		more, err := pc.AddTo(set, cfg)
		for _, w := range pc.Warnings {
			proj.Warnings = append(proj.Warnings, w)
		}
		if err != nil {
			errs = diag.Append(errs, err)
			continue
		}
		proj.Promptfoo = append(proj.Promptfoo, more...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	proj.Suites = append(proj.Suites, proj.Promptfoo...)
	return proj, nil
}

// PromptfooDirs are the directories of the promptfoo configs a project with
// this config reads, for callers that load only part of a repository.
func PromptfooDirs(fsys fs.FS, cfg *config.Config) []string {
	var dirs []string
	for _, f := range promptfooConfigs(fsys, cfg) {
		dirs = append(dirs, path.Dir(f))
	}
	return dirs
}

// promptfooConfigs are the promptfoo configs a project reads: the config's
// promptfoo list, or with no promptgate.yaml a root promptfooconfig.yaml.
func promptfooConfigs(fsys fs.FS, cfg *config.Config) []string {
	if len(cfg.Promptfoo) > 0 || cfg.Path != "" {
		return cfg.Promptfoo
	}
	for _, f := range PromptfooFiles {
		if _, err := fs.Stat(fsys, f); err == nil {
			return []string{f}
		}
	}
	return nil
}

// Select returns the suites chosen by prompt names and suite paths (either list
// may be empty, meaning no restriction). A name that matches nothing is an error,
// so a typo never silently runs zero suites.
func (p *Project) Select(prompts, suitePaths []string) ([]*suite.Suite, error) {
	var out []*suite.Suite
	for _, s := range p.Suites {
		full := s.Prompt
		if s.Variant != "" {
			full += "." + s.Variant
		}
		if len(prompts) > 0 && !slices.Contains(prompts, s.Prompt) && !slices.Contains(prompts, full) {
			continue
		}
		if len(suitePaths) > 0 && !slices.ContainsFunc(suitePaths, func(x string) bool { return sameSuite(x, s.Path) }) {
			continue
		}
		out = append(out, s)
	}
	for _, name := range prompts {
		if !slices.ContainsFunc(p.Suites, func(s *suite.Suite) bool { return s.Prompt == name || s.Prompt+"."+s.Variant == name }) {
			return nil, fmt.Errorf("--prompt %s: no suite tests that prompt (prompts with suites: %s)", name, strings.Join(p.promptNames(), ", "))
		}
	}
	for _, path := range suitePaths {
		if !slices.ContainsFunc(p.Suites, func(s *suite.Suite) bool { return sameSuite(path, s.Path) }) {
			var paths []string
			for _, s := range p.Suites {
				paths = append(paths, s.Path)
			}
			slices.Sort(paths)
			return nil, fmt.Errorf("--suite %s: no such suite under %s/%s (suites: %s)", path, p.Config.Paths.Evals,
				diag.DidYouMean(path, paths), strings.Join(paths, ", "))
		}
	}
	return out, nil
}

func sameSuite(arg, path string) bool {
	arg = strings.TrimPrefix(arg, "./")
	return arg == path || strings.TrimSuffix(strings.TrimSuffix(path, ".yaml"), ".yml") == strings.TrimSuffix(strings.TrimSuffix(arg, ".yaml"), ".yml")
}

func (p *Project) promptNames() []string {
	var names []string
	for _, s := range p.Suites {
		if !slices.Contains(names, s.Prompt) {
			names = append(names, s.Prompt)
		}
	}
	slices.Sort(names)
	return names
}
