package promptfoo

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/assert"
)

// rawTest is a test as written, before defaultTest and var expansion.
type rawTest struct {
	description string
	vars        map[string]any
	asserts     []Assertion
	threshold   *float64
	// judge is options.provider: the llm-rubric grader model.
	judge string
	file  string
	line  int
}

func (l *loader) defaults(file string, n *yaml.Node) rawTest {
	if n == nil {
		return rawTest{}
	}
	if n.Kind == yaml.ScalarNode {
		l.warn(file, n.Line, "defaultTest from a file is not supported and is ignored")
		return rawTest{}
	}
	return l.test(file, n, "defaultTest")
}

// tests reads `tests`: a list of tests and file:// references, or one
// reference.
func (l *loader) tests(file string, n *yaml.Node, def rawTest) {
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
	}
	for _, item := range items {
		switch {
		case item.Kind == yaml.ScalarNode && strings.HasPrefix(item.Value, "file://"):
			paths, err := l.files(item.Value)
			if err != nil {
				l.errorf(file, item.Line, "tests %v", err)
				continue
			}
			for _, p := range paths {
				for _, t := range l.testFile(p) {
					l.add(t, def)
				}
			}
		case item.Kind == yaml.MappingNode:
			l.add(l.test(file, item, "test"), def)
		default:
			l.errorf(file, item.Line, "each test must be a mapping or a file:// reference")
		}
	}
}

// add merges defaultTest into t and appends one test per combination of its
// array-valued vars, as promptfoo does.
func (l *loader) add(t rawTest, def rawTest) {
	vars := maps.Clone(def.vars)
	if vars == nil {
		vars = map[string]any{}
	}
	maps.Copy(vars, t.vars)
	threshold := t.threshold
	if threshold == nil {
		threshold = def.threshold
	}
	asserts := append(slices.Clone(def.asserts), t.asserts...)
	if judge := cmp.Or(t.judge, def.judge); judge != "" {
		for i := range asserts {
			judged := strings.HasSuffix(asserts[i].Spec.Type, "llm-rubric") || strings.HasSuffix(asserts[i].Spec.Type, "trajectory:goal-success")
			if judged && asserts[i].Spec.Provider == "" {
				asserts[i].Spec.Provider = judge
			}
		}
	}
	n := combinations(vars)
	if len(l.cfg.Tests)+n > MaxTests {
		if !l.overLimit {
			l.errorf(t.file, t.line, "test expands to %s combinations of its array vars, which with the %d tests before it passes the limit of %d tests per config",
				countText(n), len(l.cfg.Tests), MaxTests)
		}
		l.overLimit = true
		return
	}
	for _, combo := range expand(vars) {
		l.cfg.Tests = append(l.cfg.Tests, Test{Description: t.description, Vars: combo, Asserts: asserts,
			Threshold: threshold, File: t.file, Line: t.line})
	}
}

// MaxTests bounds the tests one promptfoo config may expand to (array vars
// multiply): a config of a few hundred bytes could otherwise ask for
// millions of tests and the memory to hold them.
const MaxTests = 10_000

// combinations is how many tests expand(vars) makes, counted without
// building them; past MaxTests it stops counting and returns MaxTests+1.
func combinations(vars map[string]any) int {
	n := 1
	for _, v := range vars {
		if list, ok := v.([]any); ok && len(list) > 0 {
			if len(list) > MaxTests || n*len(list) > MaxTests {
				return MaxTests + 1
			}
			n *= len(list)
		}
	}
	return n
}

// countText writes n, or "more than MaxTests" when counting stopped.
func countText(n int) string {
	if n > MaxTests {
		return fmt.Sprintf("more than %d", MaxTests)
	}
	return strconv.Itoa(n)
}

// expand returns every combination of the array-valued vars.
func expand(vars map[string]any) []map[string]any {
	out := []map[string]any{vars}
	keys := slices.Sorted(maps.Keys(vars))
	for _, k := range keys {
		list, ok := vars[k].([]any)
		if !ok || len(list) == 0 {
			continue
		}
		var next []map[string]any
		for _, m := range out {
			for _, v := range list {
				c := maps.Clone(m)
				c[k] = v
				next = append(next, c)
			}
		}
		out = next
	}
	return out
}

func (l *loader) test(file string, n *yaml.Node, what string) rawTest {
	t := rawTest{file: file, line: n.Line}
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "%s must be a mapping", what)
		return t
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "description":
			t.description = v.Value
		case "vars":
			t.vars = l.vars(file, v)
		case "assert":
			t.asserts = l.asserts(file, v)
		case "threshold":
			if f, ok := l.number(file, v, "threshold"); ok {
				t.threshold = &f
			}
		case "options":
			t.judge = l.options(file, v)
		default:
			l.warn(file, k.Line, "%s key %q is not supported by promptgate and is ignored", what, k.Value)
		}
	}
	return t
}

// number decodes a numeric value, or reports at its line that key must be one.
func (l *loader) number(file string, v *yaml.Node, key string) (float64, bool) {
	var f float64
	if v.Decode(&f) != nil {
		l.errorf(file, v.Line, "%s must be a number", key)
		return 0, false
	}
	return f, true
}

// options reads a test's options: provider (the grader) is kept, the rest
// warned about.
func (l *loader) options(file string, n *yaml.Node) string {
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "options must be a mapping")
		return ""
	}
	judge := ""
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Value != "provider" {
			l.warn(file, k.Line, "option %q is not supported by promptgate and is ignored", k.Value)
			continue
		}
		judge = l.graderModel(file, v)
	}
	return judge
}

func (l *loader) vars(file string, n *yaml.Node) map[string]any {
	vars := map[string]any{}
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.SequenceNode {
		return l.varsFiles(file, n)
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "vars must be a mapping")
		return vars
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var val any
		if err := v.Decode(&val); err != nil {
			l.errorf(file, v.Line, "var %q: %v", k.Value, err)
			continue
		}
		vars[k.Value] = l.fileVar(file, v.Line, val)
	}
	return vars
}

// varsFiles reads vars given as files, as promptfoo does: a path or glob
// (file:// optional), or a list of them, relative to the config; each
// matching YAML or JSON file is a mapping of vars, merged in order (a later
// file's var replaces an earlier one's).
func (l *loader) varsFiles(file string, n *yaml.Node) map[string]any {
	vars := map[string]any{}
	refs := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		refs = n.Content
	}
	for _, ref := range refs {
		if ref.Kind != yaml.ScalarNode || ref.Value == "" {
			l.errorf(file, ref.Line, "vars must be a mapping, or a file path or glob (or a list of them)")
			continue
		}
		paths, err := l.files(ref.Value)
		if err != nil {
			l.errorf(file, ref.Line, "vars %v", err)
			continue
		}
		for _, p := range paths {
			data, err := fs.ReadFile(l.fsys, p)
			if err != nil {
				l.errorf(file, ref.Line, "read vars file: %v", err)
				continue
			}
			var fileVars map[string]any
			if err := yaml.Unmarshal(data, &fileVars); err != nil {
				l.errorf(p, yamlLine(err), "vars file must be a mapping of vars: %v", err)
				continue
			}
			for k, v := range fileVars {
				vars[k] = l.fileVar(p, 1, v)
			}
		}
	}
	return vars
}

// fileVar replaces a file:// var with the file's text (a glob gives a list,
// which expands into one test per file).
func (l *loader) fileVar(file string, line int, val any) any {
	s, ok := val.(string)
	if !ok || !strings.HasPrefix(s, "file://") {
		return val
	}
	paths, err := l.files(s)
	if err != nil {
		l.errorf(file, line, "var %v", err)
		return val
	}
	var texts []any
	for _, p := range paths {
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			l.errorf(file, line, "read var file: %v", err)
			return val
		}
		texts = append(texts, string(data))
	}
	if len(texts) == 1 && !strings.ContainsAny(s, "*?[") {
		return texts[0]
	}
	return texts
}

func (l *loader) asserts(file string, n *yaml.Node) []Assertion {
	if n.Kind != yaml.SequenceNode {
		l.errorf(file, n.Line, "assert must be a list")
		return nil
	}
	var out []Assertion
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			l.errorf(file, item.Line, "each assertion must be a mapping")
			continue
		}
		a := Assertion{File: file, Line: item.Line}
		var grader *yaml.Node
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, v := item.Content[i], item.Content[i+1]
			switch k.Value {
			case "type":
				a.Spec.Type = v.Value
			case "value":
				var val any
				if err := v.Decode(&val); err != nil {
					l.errorf(file, v.Line, "value: %v", err)
				}
				a.Spec.Value = l.fileValue(file, v.Line, val)
			case "threshold", "weight":
				f, ok := l.number(file, v, k.Value)
				if !ok {
					continue
				}
				if k.Value == "threshold" {
					a.Spec.Threshold = &f
				} else {
					a.Spec.Weight = &f
				}
			case "provider":
				grader = v
			default:
				l.warn(file, k.Line, "assertion key %q is not supported by promptgate and is ignored", k.Value)
			}
		}
		if grader != nil && !assert.Ungradable(a.Spec.Type) {
			a.Spec.Provider = l.graderModel(file, grader)
		}
		out = append(out, a)
	}
	return out
}

// fileValue loads a file:// assertion value: JSON and YAML files parsed,
// anything else as text.
func (l *loader) fileValue(file string, line int, val any) any {
	s, ok := val.(string)
	if !ok || !strings.HasPrefix(s, "file://") || strings.ContainsAny(s, "*?[") {
		return val
	}
	paths, err := l.files(s)
	if err != nil {
		l.errorf(file, line, "value %v", err)
		return val
	}
	data, err := fs.ReadFile(l.fsys, paths[0])
	if err != nil {
		l.errorf(file, line, "read value file: %v", err)
		return val
	}
	switch path.Ext(paths[0]) {
	case ".json", ".yaml", ".yml":
		var parsed any
		if err := yaml.Unmarshal(data, &parsed); err != nil {
			l.errorf(paths[0], 1, "%v", err)
			return val
		}
		return parsed
	case ".js", ".py", ".rb":
		l.errorf(file, line, "assertion code from %s is not supported; put the javascript inline", paths[0])
		return val
	}
	return string(data)
}

// testFile reads tests from a YAML, JSON, JSONL or CSV file.
func (l *loader) testFile(p string) []rawTest {
	data, err := fs.ReadFile(l.fsys, p)
	if err != nil {
		l.errorf(p, 1, "read tests: %v", err)
		return nil
	}
	switch path.Ext(p) {
	case ".csv":
		return l.csvTests(p, data)
	case ".jsonl":
		var out []rawTest
		for i, line := range strings.Split(string(data), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(line), &n); err != nil || len(n.Content) == 0 {
				l.errorf(p, i+1, "each line must be one JSON test object")
				continue
			}
			t := l.test(p, n.Content[0], "test")
			t.line = i + 1
			out = append(out, t)
		}
		return out
	case ".yaml", ".yml", ".json":
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			l.errorf(p, yamlLine(err), "%v", err)
			return nil
		}
		if len(doc.Content) == 0 {
			return nil
		}
		root := doc.Content[0]
		items := []*yaml.Node{root}
		if root.Kind == yaml.SequenceNode {
			items = root.Content
		}
		var out []rawTest
		for _, item := range items {
			out = append(out, l.test(p, item, "test"))
		}
		return out
	}
	l.errorf(p, 1, "tests must be in .yaml, .json, .jsonl or .csv files")
	return nil
}

// csvTests reads one test per row: columns are vars, except __expected*
// (assertions written as "type: value"), __description and __threshold.
func (l *loader) csvTests(p string, data []byte) []rawTest {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		l.errorf(p, 1, "read CSV tests: %v", err)
		return nil
	}
	header := rows[0]
	var out []rawTest
	for i, row := range rows[1:] {
		t := rawTest{file: p, line: i + 2, vars: map[string]any{}}
		for c, raw := range header {
			key := strings.TrimSpace(raw)
			val := ""
			if c < len(row) {
				val = row[c]
			}
			switch {
			case strings.HasPrefix(key, "__expected"):
				if v := strings.TrimSpace(val); v != "" {
					t.asserts = append(t.asserts, Assertion{Spec: assertionFromString(v), File: p, Line: i + 2})
				}
			case key == "__description":
				t.description = val
			case key == "__threshold":
				if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
					t.threshold = &f
				}
			case strings.HasPrefix(key, "__"):
				if i == 0 {
					l.warn(p, 1, "CSV column %q is not supported and is ignored", key)
				}
			default:
				t.vars[key] = val
			}
		}
		out = append(out, t)
	}
	return out
}
