// Package promptfoo reads promptfoo configs (promptfooconfig.yaml) natively:
// description, prompts (inline, file:// text split by ---, chat JSON, globs,
// labels), OpenAI providers, tests (inline, and file:// YAML, JSON, JSONL and
// CSV, globs included), defaultTest, vars and assertion values from file://,
// CSV __expected*, __description and __threshold columns, per-test threshold
// and array-valued vars, which promptfoo expands into one test per
// combination. A key promptgate does not support is a warning at its file
// and line, never dropped silently.
package promptfoo

import (
	"fmt"
	"io/fs"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

// Config is one promptfoo config, read.
type Config struct {
	Path        string
	Description string
	Prompts     []Prompt
	Providers   []Provider
	// Graders are the grader providers (options.provider, an assertion's
	// provider) with their own apiBaseUrl or apiKeyEnvar, each named for
	// the judge calls it serves (see graderModel).
	Graders []Provider
	Tests   []Test
	// Files are every file the config was read from, itself first.
	Files []string
	// Warnings name what was read but is not supported, at file:line.
	Warnings []*diag.Error
}

// Prompt is one promptfoo prompt: a template, or chat messages whose
// contents are templates.
type Prompt struct {
	Label    string
	Raw      string
	Messages []Message
	File     string
	Line     int
}

// Message is one chat message of a chat-format (JSON) prompt.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Provider is an OpenAI-compatible provider from `providers`.
type Provider struct {
	ID, Label, Model string
	BaseURL          string
	APIKeyEnv        string
	Temperature      *float64
	MaxTokens        *int
	// Tools and ToolChoice are config.tools and config.tool_choice.
	Tools      []llm.Tool
	ToolChoice string
	File       string
	Line       int
}

// Test is one test case after defaultTest is merged in and array vars are
// expanded.
type Test struct {
	Description string
	Vars        map[string]any
	Asserts     []Assertion
	Threshold   *float64
	File        string
	Line        int
}

// Assertion is one assertion as written, with its position.
type Assertion struct {
	Spec assert.Spec
	File string
	Line int
}

// loader reads one config and the files it points to from fsys.
type loader struct {
	fsys fs.FS
	dir  string // directory of the config, which file:// paths are relative to
	cfg  *Config
	errs diag.List
	// overLimit is set once the tests pass MaxTests, so the error is given once.
	overLimit bool
}

// Load reads the promptfoo config at file in fsys and every file it refers to.
func Load(fsys fs.FS, file string) (*Config, error) {
	data, err := fs.ReadFile(fsys, file)
	if err != nil {
		return nil, fmt.Errorf("read promptfoo config: %w", err)
	}
	l := &loader{fsys: fsys, dir: path.Dir(file), cfg: &Config{Path: file, Files: []string{file}}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, diag.Errorf(file, yamlLine(err), "%v", err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, diag.Errorf(file, 1, "a promptfoo config must be a mapping with prompts, providers and tests")
	}
	root := doc.Content[0]
	var def *yaml.Node
	var testsNode *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "description":
			l.cfg.Description = v.Value
		case "prompts":
			l.prompts(file, v)
		case "providers":
			l.providers(file, v)
		case "tests":
			testsNode = v
		case "defaultTest":
			def = v
		default:
			l.warn(file, k.Line, "key %q is not supported by promptgate and is ignored", k.Value)
		}
	}
	defaults := l.defaults(file, def)
	if testsNode != nil {
		l.tests(file, testsNode, defaults)
	}
	if len(l.cfg.Prompts) == 0 {
		l.errs = append(l.errs, diag.Errorf(file, root.Line, "no prompts: promptgate needs at least one prompt"))
	}
	if err := l.errs.Err(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

func (l *loader) warn(file string, line int, format string, args ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, diag.Errorf(file, line, format, args...))
}

func (l *loader) errorf(file string, line int, format string, args ...any) {
	l.errs = append(l.errs, diag.Errorf(file, line, format, args...))
}

// files resolves a file:// reference (relative to the config, globs allowed)
// to the matching paths in fsys, sorted.
func (l *loader) files(ref string) ([]string, error) {
	p := path.Clean(path.Join(l.dir, strings.TrimPrefix(ref, "file://")))
	if !fs.ValidPath(p) {
		return nil, fmt.Errorf("%s points outside the repository", ref)
	}
	if !strings.ContainsAny(p, "*?[") {
		if _, err := fs.Stat(l.fsys, p); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
		l.cfg.Files = append(l.cfg.Files, p)
		return []string{p}, nil
	}
	matches, err := fs.Glob(l.fsys, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if len(matches) == 0 {
		return nil, fmt.Errorf("%s matches no file", ref)
	}
	l.cfg.Files = append(l.cfg.Files, matches...)
	return matches, nil
}

func yamlLine(err error) int {
	var line int
	if _, scanErr := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d:", &line); scanErr == nil {
		return line
	}
	return 1
}
