package prompt

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/google/dotprompt/go/dotprompt"

	"github.com/promptgate/promptgate/internal/diag"
)

// Set is every prompt and partial under a prompts root, compiled and ready to
// render. A Set is immutable after Load and safe for concurrent use.
type Set struct {
	prompts  []*Prompt
	byKey    map[key]*Prompt
	partials map[string]partialFile
	// tools are the tool files under toolsRoot, by name.
	tools     map[string]*ToolFile
	toolsRoot string
}

type key struct{ name, variant string }

// partialFile is a parsed _name.prompt file.
type partialFile struct {
	name     string
	path     string
	source   []byte
	template string
	line     int
	refs     []partialRef
}

// Load reads every *.prompt file under root in fsys. Files named _name.prompt
// are partials. A missing root is an empty set, not an error. All problems in
// all files come back together as a diag.List. Prompts that name tools need
// LoadWithTools.
func Load(fsys fs.FS, root string) (*Set, error) {
	return LoadWithTools(fsys, root, "")
}

// LoadWithTools is Load with the tool definition files under toolsRoot
// (paths.tools), which prompts name in their front matter `tools`.
func LoadWithTools(fsys fs.FS, root, toolsRoot string) (*Set, error) {
	s := &Set{byKey: map[key]*Prompt{}, partials: map[string]partialFile{}, toolsRoot: toolsRoot}
	tools, errs, err := loadTools(fsys, toolsRoot)
	if err != nil {
		return nil, err
	}
	s.tools = tools
	var prompts []*Prompt
	err = fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, Ext) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read prompt file: %w", err)
		}
		if name, ok := PartialName(p); ok {
			pf, err := parsePartial(p, name, data)
			if err != nil {
				errs = diag.Append(errs, err)
				return nil
			}
			if prev, dup := s.partials[name]; dup {
				errs = append(errs, diag.Errorf(p, 0, "partial %q is already defined by %s", name, prev.path))
				return nil
			}
			s.partials[name] = pf
			return nil
		}
		pr, err := Parse(p, data)
		if err != nil {
			errs = diag.Append(errs, err)
			return nil
		}
		rel := strings.TrimPrefix(p, strings.TrimSuffix(root, "/")+"/")
		if root == "." {
			rel = p
		}
		pr.Name, pr.Variant, _ = nameFromPath(rel)
		prompts = append(prompts, pr)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load prompts from %s: %w", root, err)
	}
	for _, pr := range prompts {
		if err := s.link(pr); err != nil {
			errs = diag.Append(errs, err)
			continue
		}
		s.byKey[key{pr.Name, pr.Variant}] = pr
		s.prompts = append(s.prompts, pr)
	}
	sort.Slice(s.prompts, func(i, j int) bool {
		a, b := s.prompts[i], s.prompts[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Variant < b.Variant
	})
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

func parsePartial(p, name string, data []byte) (partialFile, error) {
	doc, err := splitDocument(p, string(data))
	if err != nil {
		return partialFile{}, err
	}
	refs, err := templatePartials(p, doc.rawBody, lineAt(string(data), len(data)-len(doc.rawBody)))
	if err != nil {
		return partialFile{}, err
	}
	return partialFile{name: name, path: p, source: data, template: doc.rawBody, line: doc.bodyLine, refs: refs}, nil
}

// link resolves the partials a prompt uses (transitively), computes its hash
// and compiles its template.
func (s *Set) link(p *Prompt) error {
	used := map[string]bool{}
	var errs diag.List
	var visit func(from string, refs []partialRef, stack []string)
	visit = func(from string, refs []partialRef, stack []string) {
		for _, r := range refs {
			pf, ok := s.partials[r.name]
			if !ok {
				errs = append(errs, diag.Errorf(from, r.line, "unknown partial %q%s", r.name, diag.DidYouMean(r.name, s.partialNames())))
				continue
			}
			for _, onStack := range stack {
				if onStack == r.name {
					errs = append(errs, diag.Errorf(from, r.line, "partial %q includes itself (%s → %s)", r.name, strings.Join(stack, " → "), r.name))
					return
				}
			}
			if used[r.name] {
				continue
			}
			used[r.name] = true
			visit(pf.path, pf.refs, append(stack, r.name))
		}
	}
	visit(p.Path, p.partialRefs, nil)
	toolFiles, err := s.linkTools(p)
	errs = diag.Append(errs, err)
	if err := errs.Err(); err != nil {
		return err
	}
	if p.Params.Schema != nil {
		// OpenAI names a response format with letters, digits, _ and -.
		p.Params.Schema.Name = schemaNameRe.ReplaceAllString(p.Name, "_")
	}
	files := make([]partialFile, 0, len(used))
	for name := range used {
		p.Partials = append(p.Partials, name)
		files = append(files, s.partials[name])
	}
	sort.Strings(p.Partials)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	p.Hash = hashSources(p.Source, append(files, toolFiles...))
	return p.compile(files)
}

// compile builds the prompt's renderer and compiles it once, so template
// errors surface at load time.
func (p *Prompt) compile(partials []partialFile) error {
	body := p.Template
	if strings.HasPrefix(body, "---") {
		// dotprompt would read a leading --- as front matter again; an empty
		// Handlebars comment in front keeps the body as written.
		body = "{{! }}" + body
	}
	p.r = &renderer{build: func() (fn dotprompt.PromptFunction, err error) {
		defer func() {
			if r := recover(); r != nil {
				fn, err = nil, panicError(r)
			}
		}()
		// Only the body goes to dotprompt (promptgate has parsed the front
		// matter), so a render does no YAML or schema work.
		dp := dotprompt.NewDotprompt(&dotprompt.DotpromptOptions{})
		fn, err = dp.Compile(body, nil)
		if err != nil {
			return nil, err
		}
		for _, pf := range partials {
			// Registered pre-parsed: raymond parses a source-registered
			// partial lazily on first use, unsynchronized.
			tpl, err := parseTemplate(pf.template)
			if err != nil {
				return nil, fmt.Errorf("partial %s: %w", pf.name, err)
			}
			dp.Template.RegisterPartialTemplate(pf.name, tpl)
		}
		return fn, nil
	}}
	fn, err := p.r.build()
	if err != nil {
		return diag.Errorf(p.Path, p.TemplateLine, "template: %v", err)
	}
	p.r.put(fn)
	return nil
}

var schemaNameRe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

func (s *Set) partialNames() []string {
	names := make([]string, 0, len(s.partials))
	for n := range s.partials {
		names = append(names, n)
	}
	return names
}

// Get returns the prompt with this name and variant ("" for the base file).
func (s *Set) Get(name, variant string) (*Prompt, bool) {
	p, ok := s.byKey[key{name, variant}]
	return p, ok
}

// All returns every prompt, sorted by name then variant.
func (s *Set) All() []*Prompt {
	return append([]*Prompt(nil), s.prompts...)
}

// Names returns the distinct prompt names, sorted, for "did you mean" lists.
func (s *Set) Names() []string {
	var names []string
	for _, p := range s.prompts {
		if len(names) == 0 || names[len(names)-1] != p.Name {
			names = append(names, p.Name)
		}
	}
	return names
}

// Dependents returns the prompts that use the named partial, directly or
// through another partial, so a change to the partial re-evaluates them.
// partial may be the partial's name or its file path.
func (s *Set) Dependents(partial string) []*Prompt {
	if name, ok := PartialName(partial); ok {
		partial = name
	}
	return s.usersOf(partial, func(p *Prompt) []string { return p.Partials })
}

// usersOf returns the prompts whose sorted list names name.
func (s *Set) usersOf(name string, list func(*Prompt) []string) []*Prompt {
	var out []*Prompt
	for _, p := range s.prompts {
		names := list(p)
		if i := sort.SearchStrings(names, name); i < len(names) && names[i] == name {
			out = append(out, p)
		}
	}
	return out
}

// PartialPath returns the file that defines a partial.
func (s *Set) PartialPath(name string) (string, bool) {
	pf, ok := s.partials[name]
	return path.Clean(pf.path), ok
}
