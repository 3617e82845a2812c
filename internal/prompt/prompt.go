// Package prompt loads Dotprompt files (prompts/**/*.prompt): YAML front matter
// followed by a Handlebars template, rendered with github.com/google/dotprompt/go.
// It owns naming (name, variant, partials), the content hash that versions a
// prompt, the input-schema check on vars, and rendering to chat messages.
package prompt

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/dotprompt/go/dotprompt"
	"github.com/mbleigh/raymond"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

// Ext is the file extension of prompt and partial files.
const Ext = ".prompt"

// Prompt is one parsed prompt file (one variant of a named prompt).
type Prompt struct {
	// Name is the path under the prompts root without extension or variant,
	// "/"-separated: prompts/support/summarize.v2.prompt has Name "support/summarize".
	Name string
	// Variant is the part between name and extension ("v2"), "" for the base file.
	Variant string
	// Path is the file's path as given to Parse (repo-relative when loaded).
	Path string
	// Model is the front matter `model`, "" when unset; ModelLine is its line.
	Model     string
	ModelLine int
	// Description is the front matter `description`.
	Description string
	// Owner is `metadata.owner`: who the prompt's cost rolls up to ("@org/team").
	Owner string
	// Params are the generation parameters from `config` and `output.format`.
	Params llm.Params
	// Hash is a short content hash over the prompt source and the sources of the
	// partials it uses: the prompt's version.
	Hash string
	// Partials are the names of the partials the template uses, directly or
	// through other partials, sorted.
	Partials []string
	// Source is the file content as read.
	Source []byte
	// Template is the Handlebars body after the front matter; TemplateLine is the
	// file line it starts on.
	Template     string
	TemplateLine int
	// InputSchema is the JSON Schema compiled from `input.schema` (Picoschema),
	// nil when the prompt declares none.
	InputSchema []byte
	// Defaults are the `input.default` values, merged under the vars at render.
	Defaults map[string]any
	// Tools are the names of the tool files the prompt offers (front matter
	// `tools`), sorted; Params.Tools holds every offered tool, inline
	// toolDefs included.
	Tools []string
	// OutputSchema is the JSON Schema compiled from `output.schema`, nil when
	// the prompt declares none; every answer is checked against it.
	OutputSchema []byte

	schema     *jsonschema.Schema
	schemaLine int
	// partialRefs are the partials the template names directly, with their lines.
	partialRefs []partialRef
	// toolRefs are the tools `tools` names and inlineTools those `toolDefs`
	// defines, with their lines; toolChoiceLine is config.toolChoice's line.
	toolRefs, inlineTools []partialRef
	toolChoiceLine        int
	outSchema             *jsonschema.Schema
	// r renders the compiled template; set when the prompt is loaded into a Set.
	r *renderer
	// DependsOn are the files a prompt added with AddExternal is read from
	// (such as a promptfoo config and its prompt and test files), so a change
	// to any of them re-evaluates it.
	DependsOn []string
	// external renders a prompt added with AddExternal instead of r.
	external RenderFunc
}

type partialRef struct {
	name string
	line int
}

// Parse parses one prompt file. It is pure: path is used for naming and for
// error positions only. Name and Variant come from path with its directory kept
// (Load rewrites them relative to the prompts root). Problems in the file come
// back as *diag.Error or diag.List naming path and line.
func Parse(path string, data []byte) (*Prompt, error) {
	name, variant, err := nameFromPath(path)
	if err != nil {
		return nil, err
	}
	p := &Prompt{Name: name, Variant: variant, Path: path, Source: data}
	doc, err := splitDocument(path, string(data))
	if err != nil {
		return nil, err
	}
	p.Template, p.TemplateLine = doc.body, doc.bodyLine
	if strings.TrimSpace(p.Template) == "" {
		return nil, diag.Errorf(path, doc.bodyLine, "prompt has no template after the front matter")
	}
	if doc.frontMatter != "" {
		if err := decodeFrontMatter(p, doc.frontMatter, doc.frontMatterLine); err != nil {
			return nil, err
		}
	}
	refs, err := templatePartials(path, p.Template, p.TemplateLine)
	if err != nil {
		return nil, err
	}
	p.partialRefs = refs
	if err := checkTemplateVars(p).Err(); err != nil {
		return nil, err
	}
	p.Hash = hashSources(data, nil)
	return p, nil
}

// nameFromPath splits a prompt path into name and variant. The name keeps the
// directory; the variant is what sits between the first dot of the base name and
// the extension.
func nameFromPath(p string) (name, variant string, err error) {
	base := path.Base(p)
	if !strings.HasSuffix(base, Ext) {
		return "", "", diag.Errorf(p, 0, "prompt file name must end in %s", Ext)
	}
	stem := strings.TrimSuffix(base, Ext)
	name, variant, _ = strings.Cut(stem, ".")
	if name == "" || strings.Contains(variant, ".") || strings.HasSuffix(stem, ".") {
		return "", "", diag.Errorf(p, 0, "prompt file name must be NAME%s or NAME.VARIANT%s", Ext, Ext)
	}
	if dir := path.Dir(p); dir != "." {
		name = dir + "/" + name
	}
	return name, variant, nil
}

// PartialName reports whether path names a partial file (_name.prompt) and, if
// so, the name templates use for it with {{> name}}. Partials are named by file
// name only, as Genkit's prompt folders do, so the directory does not matter.
func PartialName(p string) (string, bool) {
	base := path.Base(p)
	if !strings.HasPrefix(base, "_") || !strings.HasSuffix(base, Ext) {
		return "", false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(base, "_"), Ext)
	return name, name != ""
}

type document struct {
	frontMatter     string
	frontMatterLine int
	body            string
	bodyLine        int
	// rawBody is the body untrimmed: a partial keeps its final newline, so a
	// standalone {{> name}} line renders as a line, as in Handlebars files.
	rawBody string
}

// splitDocument separates front matter and template with dotprompt's own
// regular expressions, so promptgate splits files exactly as Dotprompt does,
// but records where each part starts for error positions.
func splitDocument(path, src string) (document, error) {
	if !strings.HasPrefix(src, "---") {
		return bodyAt(src, 0), nil
	}
	if !strings.HasSuffix(src, "\n") {
		// A file that ends on its closing "---" has no newline to anchor on.
		src += "\n"
	}
	if m := dotprompt.EmptyFrontmatterRegex.FindStringSubmatchIndex(src); m != nil {
		return bodyAt(src, m[2]), nil
	}
	m := dotprompt.FrontmatterAndBodyRegex.FindStringSubmatchIndex(src)
	if m == nil {
		return document{}, diag.Errorf(path, 1, "front matter starts with --- but is never closed by a --- line")
	}
	d := bodyAt(src, m[4])
	d.frontMatter = src[m[2]:m[3]]
	d.frontMatterLine = lineAt(src, m[2])
	return d, nil
}

// bodyAt returns the trimmed template starting at offset and its file line.
func bodyAt(src string, offset int) document {
	rest := src[offset:]
	trimmed := strings.TrimLeft(rest, " \t\r\n")
	start := offset + len(rest) - len(trimmed)
	return document{body: strings.TrimSpace(trimmed), bodyLine: lineAt(src, start), rawBody: rest}
}

func lineAt(src string, offset int) int {
	return 1 + strings.Count(src[:offset], "\n")
}

// partialRefRe finds {{> name}}, {{#> name}} and their ~ whitespace-control
// forms. Dynamic partials ({{> (expr)}}) are resolved at render time instead.
var partialRefRe = regexp.MustCompile(`\{\{~?#?>\s*([^\s}()~]+)`)

var parseErrLineRe = regexp.MustCompile(`^Parse error on line (\d+):\s*`)

// templatePartials syntax-checks a Handlebars template and returns the partials
// it names directly.
func templatePartials(path, tpl string, firstLine int) ([]partialRef, error) {
	if _, err := parseTemplate(tpl); err != nil {
		msg, line := err.Error(), firstLine
		if m := parseErrLineRe.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line = firstLine + n - 1
			msg = msg[len(m[0]):]
		}
		plain, at := plainTemplateError(msg, tpl)
		if at > 0 {
			line = firstLine + at - 1
		}
		return nil, diag.Errorf(path, line, "template: %s", plain)
	}
	var refs []partialRef
	for _, m := range partialRefRe.FindAllStringSubmatchIndex(tpl, -1) {
		name := strings.Trim(tpl[m[2]:m[3]], `"'`)
		refs = append(refs, partialRef{name: name, line: firstLine + strings.Count(tpl[:m[0]], "\n")})
	}
	return refs, nil
}

// parseTemplate parses with raymond, turning its panics into errors: a parser
// panic on odd input must not take the process down.
func parseTemplate(tpl string) (t *raymond.Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, panicError(r)
		}
	}()
	return raymond.Parse(tpl)
}

// hashSources hashes a prompt source with the sources of the partials it uses,
// in name order, so editing a partial changes every dependent prompt's version.
func hashSources(src []byte, partials []partialFile) string {
	h := sha256.New()
	h.Write(src)
	for _, pf := range partials {
		h.Write([]byte{0})
		h.Write([]byte(pf.name))
		h.Write([]byte{0})
		h.Write(pf.source)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
