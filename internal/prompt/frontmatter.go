package prompt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/google/dotprompt/go/dotprompt"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/schema"
)

// frontMatterKeys are the top-level keys promptgate reads or tolerates. Keys
// with a dot are Dotprompt extension fields and always allowed.
var frontMatterKeys = []string{
	"config", "description", "ext", "input", "maxTurns", "metadata", "model", "name",
	"output", "raw", "toolDefs", "tools", "variant", "version",
}

// configKeys are the `config` keys promptgate sends to the model. Any other key
// is an error rather than silently dropped, so a typo cannot change an eval.
var configKeys = []string{"maxOutputTokens", "seed", "stopSequences", "temperature", "toolChoice", "topP"}

// fm decodes front matter with positions: lineBase is the file line of the
// front matter's first line.
type fm struct {
	path     string
	lineBase int
	errs     diag.List
}

func (f *fm) line(n *yaml.Node) int { return f.lineBase + n.Line - 1 }

func (f *fm) errorf(n *yaml.Node, format string, args ...any) {
	f.errs = append(f.errs, diag.Errorf(f.path, f.line(n), format, args...))
}

func decodeFrontMatter(p *Prompt, src string, lineBase int) error {
	f := &fm{path: p.Path, lineBase: lineBase}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return yamlError(p.Path, lineBase, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return diag.Errorf(p.Path, f.line(root), "front matter must be a mapping of keys to values")
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "model":
			p.Model, p.ModelLine = f.str(v), f.line(v)
		case "description":
			p.Description = f.str(v)
		case "config":
			f.config(p, v)
		case "input":
			f.input(p, v)
		case "output":
			f.output(p, v)
		case "metadata":
			f.metadata(p, v)
		case "tools":
			f.toolRefs(p, v)
		case "toolDefs":
			f.inlineTools(p, v)
		default:
			if !strings.Contains(k.Value, ".") && !slices.Contains(frontMatterKeys, k.Value) {
				f.errorf(k, "unknown front matter key %q%s", k.Value, diag.DidYouMean(k.Value, frontMatterKeys))
			}
		}
	}
	return f.errs.Err()
}

// metadata reads Dotprompt's free-form `metadata`; promptgate uses `owner`
// (who a prompt's cost rolls up to) and leaves the rest alone.
func (f *fm) metadata(p *Prompt, n *yaml.Node) {
	if !f.mapping(n, "metadata") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k, v := n.Content[i], n.Content[i+1]; k.Value == "owner" {
			p.Owner = f.str(v)
		}
	}
}

func (f *fm) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		f.errorf(n, "expected a string")
		return ""
	}
	return n.Value
}

func (f *fm) mapping(n *yaml.Node, what string) bool {
	if n.Kind != yaml.MappingNode {
		f.errorf(n, "%s must be a mapping", what)
		return false
	}
	return true
}

func (f *fm) config(p *Prompt, n *yaml.Node) {
	if !f.mapping(n, "config") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "temperature":
			p.Params.Temperature = f.float(v, k.Value)
		case "topP":
			p.Params.TopP = f.float(v, k.Value)
		case "maxOutputTokens":
			if n := f.int(v, k.Value); n != nil {
				if *n <= 0 {
					f.errorf(v, "maxOutputTokens must be positive")
				}
				p.Params.MaxTokens = *n
			}
		case "seed":
			p.Params.Seed = f.int(v, k.Value)
		case "toolChoice":
			p.Params.ToolChoice, p.toolChoiceLine = f.str(v), f.line(v)
		case "stopSequences":
			var stop []string
			if err := v.Decode(&stop); err != nil {
				f.errorf(v, "stopSequences must be a list of strings")
				continue
			}
			p.Params.Stop = stop
		default:
			f.errorf(k, "unsupported config key %q%s (supported: %s)", k.Value,
				diag.DidYouMean(k.Value, configKeys), strings.Join(configKeys, ", "))
		}
	}
}

func (f *fm) float(n *yaml.Node, key string) *float64 {
	var x float64
	if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		f.errorf(n, "%s must be a number", key)
		return nil
	}
	return &x
}

func (f *fm) int(n *yaml.Node, key string) *int {
	var x int
	if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil {
		f.errorf(n, "%s must be an integer", key)
		return nil
	}
	return &x
}

func (f *fm) input(p *Prompt, n *yaml.Node) {
	if !f.mapping(n, "input") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "schema":
			f.inputSchema(p, v)
		case "default":
			var d map[string]any
			if err := v.Decode(&d); err != nil {
				f.errorf(v, "input.default must be a mapping of var names to values")
				continue
			}
			p.Defaults = d
		default:
			f.errorf(k, "unknown input key %q (supported: schema, default)", k.Value)
		}
	}
}

// inputSchema turns Picoschema into JSON Schema with dotprompt, then compiles it
// once so CheckVars only validates.
func (f *fm) inputSchema(p *Prompt, n *yaml.Node) {
	var pico any
	if err := n.Decode(&pico); err != nil {
		f.errorf(n, "input.schema: %v", err)
		return
	}
	raw, err := picoschemaJSON(pico)
	if err != nil {
		if m := picoTypeRe.FindStringSubmatch(err.Error()); m != nil {
			at := typeNode(n, m[1])
			f.errorf(at, "input.schema: unknown type %q%s; Picoschema types are %s, or name(object) and name(array) for nested fields",
				m[1], diag.DidYouMean(m[1], dotprompt.JSONSchemaScalarTypes), strings.Join(dotprompt.JSONSchemaScalarTypes, ", "))
			return
		}
		f.errorf(n, "input.schema: %v", err)
		return
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		f.errorf(n, "input.schema: %v", err)
		return
	}
	sch, err := schema.Compile("input.schema.json", doc)
	if err != nil {
		f.errorf(n, "input.schema: %v", err)
		return
	}
	p.InputSchema, p.schema, p.schemaLine = raw, sch, f.line(n)
}

var picoTypeRe = regexp.MustCompile(`unsupported scalar type '([^']*)'`)

// typeNode finds the scalar in a Picoschema tree that names type typ
// ("strng, the ticket text"), so the error points at its line; else n.
func typeNode(n *yaml.Node, typ string) *yaml.Node {
	if found := findType(n, typ); found != nil {
		return found
	}
	return n
}

func findType(n *yaml.Node, typ string) *yaml.Node {
	switch n.Kind {
	case yaml.ScalarNode:
		if name, _, _ := strings.Cut(n.Value, ","); strings.TrimSpace(name) == typ {
			return n
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			if found := findType(n.Content[i], typ); found != nil {
				return found
			}
		}
	}
	return nil
}

// picoschemaJSON runs dotprompt's Picoschema converter, which panics on some
// malformed input (an enum that is not a list, say); that becomes an error.
func picoschemaJSON(pico any) (raw []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			raw, err = nil, fmt.Errorf("invalid Picoschema: %v", r)
		}
	}()
	sch, err := dotprompt.Picoschema(pico, &dotprompt.PicoschemaOptions{})
	if err != nil {
		return nil, err
	}
	if sch == nil {
		return nil, fmt.Errorf("schema is empty")
	}
	if raw, err = json.Marshal(sch); err != nil {
		return nil, err
	}
	return canonicalSchema(raw, isPicoschema(pico))
}

func (f *fm) output(p *Prompt, n *yaml.Node) {
	if !f.mapping(n, "output") {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "format":
			switch format := f.str(v); format {
			case "json":
				p.Params.JSONMode = true
			case "text", "":
			default:
				f.errorf(v, "output.format must be json or text, not %q", format)
			}
		case "schema":
			raw, sch := f.schemaNode(v, "output.schema")
			if raw != nil {
				p.OutputSchema, p.outSchema = raw, sch
				p.Params.Schema = &llm.OutputSchema{Schema: raw}
			}
		default:
			f.errorf(k, "unknown output key %q (supported: format, schema)", k.Value)
		}
	}
}

// yamlError turns a yaml.v3 error into a diag error at the file line it names.
func yamlError(path string, lineBase int, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		return diag.Errorf(path, lineBase+line-1, "front matter: %s", msg)
	}
	return diag.Errorf(path, lineBase, "front matter: %s", msg)
}

// didYouMean suggests the closest known word when it is a plausible typo.
