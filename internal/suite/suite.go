// Package suite reads eval suites (evals/**/*.yaml): which prompt a suite tests,
// the pass rate it needs, and its test cases with vars and promptfoo-style
// assertions. Parsing is strict, so a typo is an error at its file and line.
package suite

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

// Suite is one suite file.
type Suite struct {
	Path string
	// Prompt and Variant name the prompt under test; PromptLine is the line of
	// the `prompt:` key, where a missing prompt is reported.
	Prompt     string
	Variant    string
	PromptLine int
	// Threshold is the pass rate the suite needs, in [0, 1] (default 1);
	// ThresholdLine is the line of its key, 0 when the suite sets none.
	Threshold     float64
	ThresholdLine int
	// Repeat runs each case this many times (default 1), for flaky outputs.
	Repeat int
	// Judge is the default llm-rubric judge model, "" when unset.
	Judge string
	// MaxTurns bounds the tool loop: model calls per case (default 5).
	MaxTurns int
	// ToolResults are the suite's `tool_results`, under every test's own.
	ToolResults map[string]any
	Description string
	// Tests are the cases with defaultTest already merged in.
	Tests []Case
}

// Case is one test case.
type Case struct {
	// Index is the case's 0-based position in `tests`.
	Index       int
	Description string
	Vars        map[string]any
	// Asserts are defaultTest's assertions followed by the case's own.
	Asserts []assert.Assertion
	// Threshold is the case's score threshold (promptfoo's test threshold),
	// nil when every assertion must pass.
	Threshold *float64
	// Line is the line of the test item; VarLines the line of each var.
	Line     int
	VarLines map[string]int
	// ToolResults maps a tool name to the result handed back when the model
	// calls it (a list: one item per call), the suite's merged under the
	// test's. A call to a tool not here ends the tool loop.
	ToolResults map[string]any
	// Messages are the conversation's earlier turns, placed where the
	// prompt's {{history}} stands.
	Messages []llm.Message
}

// Name is a short label for the case: its description, or its position.
func (c Case) Name() string {
	if c.Description != "" {
		return c.Description
	}
	return fmt.Sprintf("test #%d", c.Index+1)
}

var (
	suiteKeys     = []string{"defaultTest", "description", "judge", "max_turns", "prompt", "repeat", "tests", "threshold", "tool_results", "variant"}
	testKeys      = []string{"assert", "description", "messages", "threshold", "tool_results", "vars"}
	defaultKeys   = []string{"assert", "threshold", "vars"}
	assertionKeys = []string{"provider", "threshold", "type", "value", "weight"}
)

// Parse parses one suite file. It is pure: path is for error positions only.
// Every problem found comes back together as a diag.List.
//
// A suite in the usual block layout is parsed one test case at a time (see
// splitTests), so a file with thousands of cases never holds the YAML tree of
// all of them at once; anything else, and any file with a problem, is parsed
// whole, which gives the same result and the same messages.
func Parse(path string, data []byte) (*Suite, error) {
	if s := parseSplit(path, data); s != nil {
		return s, nil
	}
	return parseWhole(path, data)
}

// parseWhole parses the file as one YAML tree.
func parseWhole(path string, data []byte) (*Suite, error) {
	p := &parser{path: path}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(path, err)
	}
	s, def, root, testsNode, err := p.header(&doc)
	if err != nil {
		return nil, err
	}
	switch {
	case testsNode == nil || testsNode.Tag == "!!null" || testsNode.Kind == yaml.SequenceNode && len(testsNode.Content) == 0:
		line := root.Line
		if testsNode != nil {
			line = testsNode.Line
		}
		p.errs = append(p.errs, diag.Errorf(path, line, "suite has no tests"))
	case testsNode.Kind != yaml.SequenceNode:
		p.errorf(testsNode, "tests must be a list")
	default:
		for i, item := range testsNode.Content {
			if c, ok := p.testCase(i, item, def); ok {
				s.Tests = append(s.Tests, c)
			}
		}
	}
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// header reads every top-level key but the test cases, and returns the root
// mapping and the `tests` value node (nil when absent) for the caller to read.
func (p *parser) header(doc *yaml.Node) (s *Suite, def caseDefaults, root, testsNode *yaml.Node, err error) {
	if len(doc.Content) == 0 {
		return nil, def, nil, nil, diag.Errorf(p.path, 1, "suite is empty: it needs `prompt:` and `tests:`")
	}
	root = doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, def, nil, nil, diag.Errorf(p.path, root.Line, "suite must be a mapping with `prompt:` and `tests:`")
	}
	s = &Suite{Path: p.path, Threshold: 1, Repeat: 1, MaxTurns: DefaultMaxTurns}
	p.fields(root, suiteKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "prompt":
			s.Prompt, s.PromptLine = p.str(v, "prompt"), k.Line
			if s.Prompt == "" && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
				p.errorf(v, "prompt must name a prompt")
			}
		case "variant":
			s.Variant = p.str(v, "variant")
		case "description":
			s.Description = p.str(v, "description")
		case "judge":
			s.Judge = p.str(v, "judge")
		case "threshold":
			s.ThresholdLine = k.Line
			if t := p.float(v, "threshold"); t != nil {
				if *t < 0 || *t > 1 {
					p.errorf(v, "threshold is the pass rate the suite needs, between 0 and 1")
				}
				s.Threshold = *t
			}
		case "repeat":
			var n int
			if v.Kind != yaml.ScalarNode || v.Decode(&n) != nil || n < 1 || n > 1000 {
				p.errorf(v, "repeat must be an integer from 1 to 1000")
				return
			}
			s.Repeat = n
		case "defaultTest":
			def = p.defaults(v)
		case "max_turns":
			s.MaxTurns = p.maxTurns(v)
		case "tool_results":
			s.ToolResults = p.toolResults(v)
		case "tests":
			testsNode = v
		}
	})
	def.toolResults = s.ToolResults
	if s.Prompt == "" && s.PromptLine == 0 {
		p.errs = append(diag.List{diag.Errorf(p.path, 1, "suite needs `prompt:` naming the prompt it tests")}, p.errs...)
	}
	return s, def, root, testsNode, nil
}

// caseDefaults is defaultTest, merged into every case.
type caseDefaults struct {
	vars      map[string]any
	varLines  map[string]int
	asserts   []assert.Assertion
	threshold *float64
	// toolResults are the suite's, merged under each test's.
	toolResults map[string]any
}

func (p *parser) defaults(n *yaml.Node) caseDefaults {
	var d caseDefaults
	if !p.mapping(n, "defaultTest") {
		return d
	}
	p.fields(n, defaultKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "vars":
			d.vars, d.varLines = p.vars(v)
		case "assert":
			d.asserts = p.asserts(v)
		case "threshold":
			d.threshold = p.scoreThreshold(v)
		}
	})
	return d
}

func (p *parser) testCase(i int, n *yaml.Node, def caseDefaults) (Case, bool) {
	if !p.mapping(n, "each test") {
		return Case{}, false
	}
	c := Case{Index: i, Line: n.Line, Threshold: def.threshold, Vars: map[string]any{}, VarLines: map[string]int{},
		ToolResults: def.toolResults}
	for k, v := range def.vars {
		c.Vars[k], c.VarLines[k] = v, def.varLines[k]
	}
	c.Asserts = append(c.Asserts, def.asserts...)
	p.fields(n, testKeys, func(k, v *yaml.Node) {
		switch k.Value {
		case "description":
			c.Description = p.str(v, "description")
		case "vars":
			vars, lines := p.vars(v)
			for name, val := range vars {
				c.Vars[name], c.VarLines[name] = val, lines[name]
			}
		case "assert":
			c.Asserts = append(c.Asserts, p.asserts(v)...)
		case "threshold":
			c.Threshold = p.scoreThreshold(v)
		case "tool_results":
			c.ToolResults = mergeResults(def.toolResults, p.toolResults(v))
		case "messages":
			c.Messages = p.messages(v)
		}
	})
	return c, true
}

func (p *parser) vars(n *yaml.Node) (map[string]any, map[string]int) {
	return p.valueMap(n, "vars", "var")
}

// valueMap reads a mapping of names to JSON-like values (vars, tool
// results), with each name's line.
func (p *parser) valueMap(n *yaml.Node, what, item string) (map[string]any, map[string]int) {
	vals, lines := map[string]any{}, map[string]int{}
	if !p.mapping(n, what) {
		return vals, lines
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := lines[k.Value]; dup {
			p.errorf(k, "%s %q is set twice", item, k.Value)
			continue
		}
		var val any
		if err := v.Decode(&val); err != nil {
			p.errorf(v, "%s %q: %v", item, k.Value, err)
			continue
		}
		if _, err := json.Marshal(val); err != nil {
			p.errorf(v, "%s %q: value must be JSON-like (string keys only)", item, k.Value)
			continue
		}
		vals[k.Value], lines[k.Value] = val, k.Line
	}
	return vals, lines
}

func (p *parser) asserts(n *yaml.Node) []assert.Assertion {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "assert must be a list of assertions")
		return nil
	}
	var out []assert.Assertion
	for _, item := range n.Content {
		if !p.mapping(item, "each assertion") {
			continue
		}
		var spec assert.Spec
		ok := true
		p.fields(item, assertionKeys, func(k, v *yaml.Node) {
			switch k.Value {
			case "type":
				spec.Type = p.str(v, "type")
			case "value":
				if err := v.Decode(&spec.Value); err != nil {
					p.errorf(v, "value: %v", err)
					ok = false
				}
			case "threshold":
				spec.Threshold = p.float(v, "threshold")
			case "weight":
				spec.Weight = p.float(v, "weight")
			case "provider":
				spec.Provider = p.str(v, "provider")
			}
		})
		if !ok {
			continue
		}
		a, err := assert.Compile(p.path, item.Line, spec)
		if err != nil {
			p.errs = diag.Append(p.errs, err)
			continue
		}
		out = append(out, a)
	}
	return out
}

func (p *parser) scoreThreshold(n *yaml.Node) *float64 {
	t := p.float(n, "threshold")
	if t != nil && (*t < 0 || *t > 1) {
		p.errorf(n, "a test's threshold is a score between 0 and 1")
		return nil
	}
	return t
}

// Load parses every suite under root in fsys (*.yaml and *.yml, recursively),
// sorted by path. A missing root means no suites. All problems in all files
// come back together as a diag.List.
func Load(fsys fs.FS, root string) ([]*Suite, error) {
	var suites []*Suite
	var errs diag.List
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read suite: %w", err)
		}
		s, err := Parse(p, data)
		if err != nil {
			errs = diag.Append(errs, err)
			return nil
		}
		suites = append(suites, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load suites from %s: %w", root, err)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	sort.Slice(suites, func(i, j int) bool { return suites[i].Path < suites[j].Path })
	return suites, nil
}

// parser collects every problem in one file with its line.
type parser struct {
	path string
	errs diag.List
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	p.errs = append(p.errs, diag.Errorf(p.path, n.Line, format, args...))
}

func (p *parser) mapping(n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping", what)
		return false
	}
	return true
}

// fields calls fn for each key of a mapping, reporting unknown and repeated
// keys instead.
func (p *parser) fields(n *yaml.Node, known []string, fn func(k, v *yaml.Node)) {
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !contains(known, k.Value):
			p.errorf(k, "unknown key %q%s", k.Value, diag.DidYouMean(k.Value, known))
		case seen[k.Value]:
			p.errorf(k, "key %q is set twice", k.Value)
		default:
			seen[k.Value] = true
			fn(k, v)
		}
	}
}

func (p *parser) str(n *yaml.Node, key string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, "%s must be a string", key)
		return ""
	}
	return n.Value
}

func (p *parser) float(n *yaml.Node, key string) *float64 {
	var x float64
	if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		p.errorf(n, "%s must be a number", key)
		return nil
	}
	return &x
}
