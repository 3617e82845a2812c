package prompt

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/mbleigh/raymond/ast"
	"github.com/mbleigh/raymond/parser"

	"github.com/promptgate/promptgate/internal/diag"
)

// helperNames are the helpers a template can call: Handlebars' built-ins and
// the ones dotprompt registers. A bare {{name}} that is one of them is a call,
// not a var.
var helperNames = []string{
	"each", "if", "lookup", "log", "unless", "with", "equal",
	"history", "ifEquals", "json", "media", "role", "section", "unlessEquals",
}

// DeclaredVars returns the top-level vars the prompt declares in input.schema
// and input.default, sorted. open is true when any var is allowed: there is no
// schema, or the schema is not an object with properties, or it takes extra
// properties (a Picoschema `(*)` wildcard).
func (p *Prompt) DeclaredVars() (names []string, open bool) {
	if p.InputSchema == nil {
		return nil, true
	}
	var s struct {
		Properties           map[string]json.RawMessage `json:"properties"`
		AdditionalProperties json.RawMessage            `json:"additionalProperties"`
	}
	if json.Unmarshal(p.InputSchema, &s) != nil || s.Properties == nil {
		return nil, true
	}
	if a := strings.TrimSpace(string(s.AdditionalProperties)); a != "" && a != "false" {
		return nil, true
	}
	for name := range s.Properties {
		names = append(names, name)
	}
	for name := range p.Defaults {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, false
}

// checkTemplateVars reports each var the template reads that input.schema does
// not declare: it would render empty and the model would get a hole where the
// input should be. Only the template's own top-level context is checked; the
// bodies of {{#each}}, {{#with}} and other block helpers change the context,
// and partials are checked as their own files.
func checkTemplateVars(p *Prompt) diag.List {
	declared, open := p.DeclaredVars()
	if open {
		return nil
	}
	prog, err := templateAST(p.Template)
	if err != nil {
		return nil // reported by templatePartials
	}
	var errs diag.List
	seen := map[string]bool{}
	report := func(path *ast.PathExpression) {
		if path.Data || path.Scoped || path.Depth > 0 || len(path.Parts) == 0 {
			return // @root, this.x, ../x: not a plain top-level var
		}
		name := path.Parts[0]
		if slices.Contains(declared, name) || seen[name] {
			return
		}
		seen[name] = true
		errs = append(errs, diag.Errorf(p.Path, p.TemplateLine+path.Line-1,
			"template reads {{%s}}, which input.schema does not declare, so it would render empty%s; declared vars: %s",
			path.Original, diag.DidYouMean(name, declared), strings.Join(declared, ", ")))
	}
	walkProgram(prog, report)
	return errs
}

// templateAST parses tpl into its syntax tree. The parser recovers its own
// syntax panics; anything else it panics with becomes an error too.
func templateAST(tpl string) (prog *ast.Program, err error) {
	defer func() {
		if r := recover(); r != nil {
			prog, err = nil, panicError(r)
		}
	}()
	return parser.Parse(tpl)
}

func walkProgram(prog *ast.Program, report func(*ast.PathExpression)) {
	if prog == nil {
		return
	}
	for _, n := range prog.Body {
		switch n := n.(type) {
		case *ast.MustacheStatement:
			walkExpr(n.Expression, report)
		case *ast.BlockStatement:
			walkExpr(n.Expression, report)
			switch helper := n.Expression.HelperName(); helper {
			case "if", "unless", "ifEquals", "unlessEquals":
				walkProgram(n.Program, report)
				walkProgram(n.Inverse, report)
			case "each", "with":
				walkProgram(n.Inverse, report) // {{else}} runs in the outer context
			}
		case *ast.PartialStatement:
			for _, param := range n.Params {
				walkValue(param, report)
			}
			walkHash(n.Hash, report)
		}
	}
}

// walkExpr reports the vars an expression reads: its params and hash values,
// and its path too when it is not a helper call.
func walkExpr(e *ast.Expression, report func(*ast.PathExpression)) {
	if e == nil {
		return
	}
	if path, ok := e.Path.(*ast.PathExpression); ok && len(e.Params) == 0 && e.Hash == nil &&
		!(len(path.Parts) == 1 && slices.Contains(helperNames, path.Parts[0])) {
		report(path)
	}
	for _, param := range e.Params {
		walkValue(param, report)
	}
	walkHash(e.Hash, report)
}

func walkValue(n ast.Node, report func(*ast.PathExpression)) {
	switch n := n.(type) {
	case *ast.PathExpression:
		report(n)
	case *ast.SubExpression:
		walkExpr(n.Expression, report)
	case *ast.Expression:
		walkExpr(n, report)
	}
}

func walkHash(h *ast.Hash, report func(*ast.PathExpression)) {
	if h == nil {
		return
	}
	for _, pair := range h.Pairs {
		walkValue(pair.Val, report)
	}
}

var blockTagRe = regexp.MustCompile(`\{\{~?\s*([#^/])\s*>?\s*([\w.-]+)`)

// plainTemplateError turns a raymond parse error into a sentence a prompt
// author can act on, and the template line it belongs to (0 to keep the
// parser's). tpl is the template, for finding a block that is never closed.
func plainTemplateError(msg, tpl string) (string, int) {
	first, rest, _ := strings.Cut(msg, "\n")
	switch {
	case first == "Lexer error":
		if m := regexp.MustCompile(`Error\{"(.*)"\}`).FindStringSubmatch(rest); m != nil {
			text := strings.ReplaceAll(m[1], `\"`, `"`)
			if strings.Contains(text, "Unexpected character in expression") || strings.HasPrefix(text, "Unclosed") {
				text += ": each {{ needs a matching }}"
			}
			return text, 0
		}
		return "cannot read the template: " + oneLine(rest), 0
	case strings.HasPrefix(first, "Expecting OpenEndBlock"):
		if name, line := unclosedBlock(tpl); name != "" {
			return fmt.Sprintf("{{#%s}} is never closed: add {{/%s}} where the block ends", name, name), line
		}
		return "a {{#block}} is never closed with its {{/block}}", 0
	case strings.HasPrefix(first, "Expecting Close"), strings.HasPrefix(first, "Expecting CloseUnescaped"):
		return "an expression is not closed: each {{ needs a matching }} (and {{{ a matching }}})", 0
	case strings.HasPrefix(first, "Expecting CloseSexpr"):
		return "a ( subexpression is not closed with )", 0
	}
	if open, closed, ok := strings.Cut(first, " doesn't match "); ok {
		return fmt.Sprintf("{{#%s}} is closed by {{/%s}}: each {{#name}} must be closed by {{/name}}, innermost first", open, closed), 0
	}
	return first, 0
}

// unclosedBlock finds the innermost {{#name}} left open at the end of tpl,
// with its 1-based line.
func unclosedBlock(tpl string) (string, int) {
	type open struct {
		name string
		line int
	}
	var stack []open
	for _, m := range blockTagRe.FindAllStringSubmatchIndex(tpl, -1) {
		kind, name := tpl[m[2]:m[3]], tpl[m[4]:m[5]]
		if kind == "/" {
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			continue
		}
		stack = append(stack, open{name: name, line: 1 + strings.Count(tpl[:m[0]], "\n")})
	}
	if len(stack) == 0 {
		return "", 0
	}
	top := stack[len(stack)-1]
	return top.name, top.line
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
