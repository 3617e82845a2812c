package prompt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/schema"
)

// ToolFile is one tool definition file (tools/NAME.yaml or .json): a function
// the prompts that name it offer to the model.
type ToolFile struct {
	// Tool is the definition as offered, its Parameters a JSON Schema.
	Tool llm.Tool
	// Path is the file; Source its content, hashed into the version of every
	// prompt that names the tool.
	Path   string
	Source []byte
}

// ToolExts are the extensions a tool definition file may have.
var ToolExts = []string{".yaml", ".yml", ".json"}

// toolKeys are the keys of promptgate's tool format and of Dotprompt's
// toolDefs; openAIToolKeys those of OpenAI's function format.
var (
	toolKeys       = []string{"description", "input", "inputSchema", "name", "outputSchema"}
	openAIToolKeys = []string{"description", "name", "parameters", "strict"}
)

// toolNameRe is what OpenAI accepts as a function name.
var toolNameRe = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// ToolName reports whether p names a tool definition file under the tools
// folder and, if so, the tool's name (the file name without extension).
func ToolName(p string) (string, bool) {
	base := path.Base(p)
	for _, ext := range ToolExts {
		if name, ok := strings.CutSuffix(base, ext); ok && name != "" {
			return name, true
		}
	}
	return "", false
}

// ParseTool parses one tool definition file. It is pure: path names the file
// in errors and gives the expected name. The file holds `name`,
// `description` and `input` (Picoschema or JSON Schema), or is in OpenAI's
// function format ({type: function, function: {name, description,
// parameters}}, or the function object alone). Problems are *diag.Error or
// diag.List at file and line.
func ParseTool(p string, data []byte) (*ToolFile, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(p, 1, err)
	}
	if len(doc.Content) == 0 {
		return nil, diag.Errorf(p, 1, "tool file is empty: it needs name, description and input")
	}
	f := &fm{path: p, lineBase: 1}
	t := f.toolDef(doc.Content[0], "tool file")
	if err := f.errs.Err(); err != nil {
		return nil, err
	}
	if want, ok := ToolName(p); ok && t.Name != want {
		return nil, diag.Errorf(p, f.line(doc.Content[0]), "tool name %q does not match its file name %q: prompts name tools by file", t.Name, want)
	}
	return &ToolFile{Tool: t, Path: p, Source: data}, nil
}

// toolDef reads one tool: promptgate's or Dotprompt's shape, or OpenAI's.
func (f *fm) toolDef(n *yaml.Node, what string) llm.Tool {
	var t llm.Tool
	if !f.mapping(n, what) {
		return t
	}
	if fn := mapValue(n, "function"); fn != nil && mapValue(n, "type") != nil {
		if typ := mapValue(n, "type"); typ.Value != "function" {
			f.errorf(typ, "tool type must be function, not %q", typ.Value)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Value != "type" && k.Value != "function" {
				f.errorf(k, "unknown key %q in an OpenAI tool (supported: type, function)", k.Value)
			}
		}
		n = fn
		if !f.mapping(n, "function") {
			return t
		}
	}
	keys := toolKeys
	if mapValue(n, "parameters") != nil {
		keys = openAIToolKeys
	}
	var schemaNode *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			t.Name = f.str(v)
			if t.Name != "" && !toolNameRe.MatchString(t.Name) {
				f.errorf(v, "tool name %q: use letters, digits, _ and - only, at most 64", t.Name)
			}
		case "description":
			t.Description = f.str(v)
		case "input", "inputSchema", "parameters":
			if schemaNode != nil {
				f.errorf(k, "%s: the tool's input schema is already given", k.Value)
				continue
			}
			schemaNode = v
		case "outputSchema", "strict":
			// Dotprompt's and OpenAI's: accepted, not sent (promptgate
			// executes no tool, so a tool's output is the test's to give).
		default:
			f.errorf(k, "unknown tool key %q%s (supported: %s)", k.Value, diag.DidYouMean(k.Value, keys), strings.Join(keys, ", "))
		}
	}
	if t.Name == "" && len(f.errs) == 0 {
		f.errorf(n, "%s needs a name", what)
	}
	if schemaNode == nil {
		t.Parameters = json.RawMessage(`{"type":"object","properties":{}}`)
		return t
	}
	raw, _ := f.schemaNode(schemaNode, "input")
	if raw != nil {
		var top struct {
			Type any `json:"type"`
		}
		if json.Unmarshal(raw, &top) != nil || top.Type != "object" {
			f.errorf(schemaNode, "input: a tool's arguments are an object; give its fields (Picoschema) or a JSON Schema with type: object")
			return t
		}
	}
	t.Parameters = raw
	return t
}

// schemaNode turns a Picoschema or JSON Schema node into JSON Schema text
// and compiles it, reporting problems at the node's line.
func (f *fm) schemaNode(n *yaml.Node, what string) ([]byte, *jsonschema.Schema) {
	var pico any
	if err := n.Decode(&pico); err != nil {
		f.errorf(n, "%s: %v", what, err)
		return nil, nil
	}
	raw, err := picoschemaJSON(pico)
	if err != nil {
		if m := picoTypeRe.FindStringSubmatch(err.Error()); m != nil {
			f.errorf(typeNode(n, m[1]), "%s: unknown type %q; Picoschema types are string, number, integer, boolean, null, any, or name(object) and name(array) for nested fields", what, m[1])
			return nil, nil
		}
		f.errorf(n, "%s: %v", what, err)
		return nil, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		f.errorf(n, "%s: %v", what, err)
		return nil, nil
	}
	sch, err := schema.Compile(what+".json", doc)
	if err != nil {
		f.errorf(n, "%s: %v", what, err)
		return nil, nil
	}
	return raw, sch
}

// mapValue is the value of key in a mapping node, nil when absent.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// toolRefs reads front matter `tools: [name, …]`.
func (f *fm) toolRefs(p *Prompt, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		f.errorf(n, "tools must be a list of tool names (files under the tools folder)")
		return
	}
	for _, item := range n.Content {
		name := f.str(item)
		if name == "" {
			continue
		}
		p.toolRefs = append(p.toolRefs, partialRef{name: name, line: f.line(item)})
	}
}

// inlineTools reads Dotprompt's front matter `toolDefs`.
func (f *fm) inlineTools(p *Prompt, n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		f.errorf(n, "toolDefs must be a list of tool definitions")
		return
	}
	for _, item := range n.Content {
		t := f.toolDef(item, "each toolDefs item")
		if t.Name != "" {
			p.inlineTools = append(p.inlineTools, partialRef{name: t.Name, line: f.line(item)})
			p.Params.Tools = append(p.Params.Tools, t)
		}
	}
}

// loadTools reads every tool file under root. A missing root is no tools.
func loadTools(fsys fs.FS, root string) (map[string]*ToolFile, diag.List, error) {
	tools := map[string]*ToolFile{}
	var errs diag.List
	if root == "" {
		return tools, nil, nil
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		if _, ok := ToolName(p); d.IsDir() || !ok {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("read tool file: %w", err)
		}
		tf, err := ParseTool(p, data)
		if err != nil {
			errs = diag.Append(errs, err)
			return nil
		}
		if prev, dup := tools[tf.Tool.Name]; dup {
			errs = append(errs, diag.Errorf(p, 1, "tool %q is already defined by %s", tf.Tool.Name, prev.Path))
			return nil
		}
		tools[tf.Tool.Name] = tf
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("load tools from %s: %w", root, err)
	}
	return tools, errs, nil
}

// linkTools resolves the tools a prompt names, offers them before its inline
// ones, and checks config.toolChoice. It returns the tool files used, for the
// prompt's hash.
func (s *Set) linkTools(p *Prompt) ([]partialFile, error) {
	var errs diag.List
	var named []llm.Tool
	var files []partialFile
	seen := map[string]int{}
	for _, r := range p.inlineTools {
		seen[r.name] = r.line
	}
	for _, r := range p.toolRefs {
		tf, ok := s.tools[r.name]
		if !ok {
			errs = append(errs, diag.Errorf(p.Path, r.line, "unknown tool %q%s (tools are files under %s/)", r.name, diag.DidYouMean(r.name, s.ToolNames()), s.toolsRoot))
			continue
		}
		if line, dup := seen[r.name]; dup {
			errs = append(errs, diag.Errorf(p.Path, r.line, "tool %q is offered twice (also at line %d)", r.name, line))
			continue
		}
		seen[r.name] = r.line
		named = append(named, tf.Tool)
		p.Tools = append(p.Tools, r.name)
		files = append(files, partialFile{name: "tool:" + r.name, source: tf.Source})
	}
	p.Params.Tools = append(named, p.Params.Tools...)
	if c := p.Params.ToolChoice; c != "" {
		switch _, offered := seen[c]; {
		case len(p.Params.Tools) == 0:
			errs = append(errs, diag.Errorf(p.Path, p.toolChoiceLine, "config.toolChoice is set but the prompt offers no tools"))
		case c == "auto" || c == "none" || c == "required" || offered:
		default:
			errs = append(errs, diag.Errorf(p.Path, p.toolChoiceLine, "config.toolChoice %q: want auto, none, required or an offered tool%s",
				c, diag.DidYouMean(c, append([]string{"auto", "none", "required"}, toolNames(p.Params.Tools)...))))
		}
	}
	sort.Strings(p.Tools)
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	return files, errs.Err()
}

func toolNames(tools []llm.Tool) []string {
	out := make([]string, len(tools))
	for i, t := range tools {
		out[i] = t.Name
	}
	return out
}

// ToolNames returns the names of the tool files loaded, sorted.
func (s *Set) ToolNames() []string {
	names := make([]string, 0, len(s.tools))
	for n := range s.tools {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ToolDependents returns the prompts that name the tool, so a change to its
// file re-evaluates them. tool may be the tool's name or its file path.
func (s *Set) ToolDependents(tool string) []*Prompt {
	if name, ok := ToolName(tool); ok {
		tool = name
	}
	return s.usersOf(tool, func(p *Prompt) []string { return p.Tools })
}

// ToolPath returns the file that defines a tool.
func (s *Set) ToolPath(name string) (string, bool) {
	tf, ok := s.tools[name]
	if !ok {
		return "", false
	}
	return path.Clean(tf.Path), true
}

// CheckOutput checks an answer against the prompt's output.schema. It
// returns nil when the prompt has none or the answer fits, else the first
// failing path and why ("qty: required").
func (p *Prompt) CheckOutput(answer string) *schema.Problem {
	if p == nil || p.outSchema == nil {
		return nil
	}
	return schema.Validate(p.outSchema, answer)
}

// ToolFromNode reads one tool definition from a YAML node of a file that
// path names (a promptfoo provider's config.tools item, in OpenAI's format or
// promptgate's). Node lines are file lines.
func ToolFromNode(path string, n *yaml.Node) (llm.Tool, error) {
	f := &fm{path: path, lineBase: 1}
	t := f.toolDef(n, "each tool")
	return t, f.errs.Err()
}
