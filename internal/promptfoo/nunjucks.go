package promptfoo

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ardanlabs/jinja"
)

// Nunjucks is a promptfoo prompt that uses Nunjucks beyond {{var}} (tags,
// filters, expressions), compiled once with a Jinja engine: Nunjucks is
// Jinja's JavaScript port, and promptfoo's common templates (upper, lower,
// trim, dump, join, default, if/elif/else, for with loop.*, set, raw,
// comments, whitespace control) mean the same in both. Where the two differ
// the template is rewritten first (see rewriteNunjucks) so it renders as
// promptfoo renders it; what neither rewrite nor engine covers is refused
// when the config loads, never sent unrendered.
type Nunjucks struct {
	tpl    *jinja.Template
	limits Limits
}

// CompileNunjucks compiles a template. A problem comes back as a
// *TemplateError with its line in the template (1-based).
func CompileNunjucks(src string) (*Nunjucks, error) {
	rewritten, err := rewriteNunjucks(src)
	if err != nil {
		return nil, err
	}
	tpl, err := jinja.Compile(rewritten)
	if err != nil {
		return nil, &TemplateError{Line: engineLine(err.Error()), Msg: err.Error()}
	}
	return &Nunjucks{tpl: tpl, limits: DefaultLimits}, nil
}

// Render renders the template with vars, as promptfoo does: an unknown
// var is empty, and a whole object, list or boolean printed by {{ }} is
// JSON, as {{var}} renders it (Render). An error is a template that failed
// while rendering (calling what is not a function, a filter given a value
// it cannot take) or went past its Limits, a *TemplateError at its line.
func (n *Nunjucks) Render(vars map[string]any) (out string, err error) {
	b := newBudget(n.limits)
	data := b.values()
	for k, v := range vars {
		if _, planted := data[k]; !planted {
			data[k] = jinja.FromGoValue(v)
		}
	}
	defer func() {
		// The engine panics on a few inputs (a negative repeat count);
		// a template is never allowed to take the process down.
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("render Nunjucks template: %v", r)
		}
	}()
	out, err = n.tpl.RenderValues(data)
	if err != nil {
		if te, ok := asTemplateError(err); ok {
			return "", te
		}
		return "", fmt.Errorf("render Nunjucks template: %w", err)
	}
	if len(out) > n.limits.MaxOutput {
		return "", &TemplateError{Line: 1, Msg: fmt.Sprintf("the rendered text is %d bytes, over promptgate's limit of %d", len(out), n.limits.MaxOutput)}
	}
	return out, nil
}

// TemplateError is a template promptgate cannot render, at a line of the
// template.
type TemplateError struct {
	Line int
	Msg  string
}

func (e *TemplateError) Error() string { return e.Msg }

// nunjucksFilters are the filters promptgate renders: the engine's own, and
// dump, rewritten to the engine's tojson.
var nunjucksFilters = []string{
	"abs", "batch", "capitalize", "count", "d", "default", "dictsort", "dump", "e", "escape", "first",
	"float", "fromjson", "indent", "int", "items", "join", "last", "length", "list", "lower", "map",
	"max", "min", "reject", "rejectattr", "replace", "reverse", "round", "safe", "select", "selectattr",
	"sort", "string", "sum", "title", "tojson", "trim", "unique", "upper", "wordcount",
}

var (
	// rawRe is a {% raw %}…{% endraw %} block at the start of a string,
	// which is kept as written.
	rawRe = regexp.MustCompile(`^(?s)\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*(-?)%\}`)
	// stringRe finds string literals inside a tag.
	stringRe = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	// filterRe finds a filter application inside a tag.
	filterRe = regexp.MustCompile(`\|\s*([A-Za-z_][A-Za-z0-9_]*)`)
	// bareRe is an output tag that prints a var path and nothing else.
	bareRe = regexp.MustCompile(`^\{\{(-?)\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['[^'\\]*'\]|\["[^"\\]*"\])*)\s*(-?)\}\}$`)
	// dumpRe is Nunjucks's dump filter, with its optional indent.
	dumpRe = regexp.MustCompile(`\|\s*dump\b(?:\s*\(\s*(\d*)\s*\))?`)
	// pairLoopRe is a for tag over key, value pairs.
	pairLoopRe = regexp.MustCompile(`^\{%(-?)\s*for\s+([A-Za-z_]\w*)\s*,\s*([A-Za-z_]\w*)\s+in\s+(.+?)\s*(-?)%\}$`)
	// lineRe finds the line an engine error names.
	lineRe = regexp.MustCompile(`line (\d+)`)
)

// segment is a run of a template: text, or one tag ({{ }}, {% %}, {# #},
// or a whole raw block) with its whitespace-control markers.
type segment struct {
	text         string
	tag          bool
	trimL, trimR bool
	line         int
}

// scanTemplate splits a template into text and tags. A tag that is never
// closed is a TemplateError at its line.
func scanTemplate(src string) ([]segment, error) {
	var segs []segment
	line := 1
	for i := 0; i < len(src); {
		j := nextTag(src, i)
		if j > i {
			segs = append(segs, segment{text: src[i:j], line: line})
			line += strings.Count(src[i:j], "\n")
			i = j
			continue
		}
		end := tagEnd(src, i)
		if end < 0 {
			return nil, &TemplateError{Line: line, Msg: fmt.Sprintf("the tag %s is never closed", src[i:i+2])}
		}
		tag := src[i:end]
		seg := segment{text: tag, tag: true, line: line,
			trimL: len(tag) > 2 && tag[2] == '-', trimR: len(tag) > 2 && tag[len(tag)-3] == '-'}
		if m := rawRe.FindStringSubmatchIndex(src[i:]); m != nil && src[i+1] == '%' {
			seg.text, seg.trimR = src[i:i+m[1]], m[2] < m[3]
		}
		segs = append(segs, seg)
		line += strings.Count(seg.text, "\n")
		i += len(seg.text)
	}
	return segs, nil
}

// nextTag is where the next tag at or after i starts, len(src) if none.
func nextTag(src string, i int) int {
	for j := i; j+1 < len(src); j++ {
		if src[j] == '{' && (src[j+1] == '{' || src[j+1] == '%' || src[j+1] == '#') {
			return j
		}
	}
	return len(src)
}

// tagEnd is the end of the tag starting at i (past its closing braces),
// skipping string literals in {{ }} and {% %}; -1 when it never closes.
func tagEnd(src string, i int) int {
	closeBy := map[byte]string{'{': "}}", '%': "%}", '#': "#}"}[src[i+1]]
	var quote byte
	for j := i + 2; j < len(src); j++ {
		c := src[j]
		switch {
		case quote != 0:
			if c == '\\' {
				j++
			} else if c == quote {
				quote = 0
			}
		case (c == '"' || c == '\'') && src[i+1] != '#':
			quote = c
		case strings.HasPrefix(src[j:], closeBy):
			return j + 2
		}
	}
	return -1
}

// rewriteNunjucks turns a Nunjucks template into the Jinja the engine
// renders the same, without adding or removing a line:
//   - whitespace: Nunjucks keeps all text but what an explicit - marker
//     strips, while the engine also applies Jinja's trim_blocks and
//     lstrip_blocks (chat-template defaults); so the whitespace at the ends
//     of each text run is handed to the engine as a string literal, which
//     it prints as it is;
//   - {{ path }} printing an object, list or boolean prints it as compact
//     JSON (Jinja would print Python's repr, True and False);
//   - | dump and | dump(N) become | tojson with JSON.stringify's spacing;
//   - {% for k, v in obj %} iterates obj's items when obj is a mapping, as
//     Nunjucks does.
//
// A filter the engine does not have is refused here, at its line, since the
// engine would only notice it while rendering.
func rewriteNunjucks(src string) (string, error) {
	segs, err := scanTemplate(src)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, seg := range segs {
		if seg.tag {
			out, err := rewriteTag(seg)
			if err != nil {
				return "", err
			}
			b.WriteString(out)
			continue
		}
		text := seg.text
		if i > 0 && segs[i-1].trimR {
			text = strings.TrimLeft(text, " \t\r\n")
		}
		if i+1 < len(segs) && segs[i+1].trimL {
			text = strings.TrimRight(text, " \t\r\n")
		}
		core := strings.Trim(text, " \t\r\n")
		if core == "" {
			b.WriteString(literal(text))
		} else {
			lead := text[:strings.Index(text, core)]
			b.WriteString(literal(lead) + core + literal(text[len(lead)+len(core):]))
		}
		if n := strings.Count(seg.text, "\n") - strings.Count(text, "\n"); n > 0 {
			// The newlines the markers stripped keep their lines, in a comment.
			b.WriteString("{#" + strings.Repeat("\n", n) + "#}")
		}
	}
	return b.String(), nil
}

// literal prints whitespace through the engine untouched: an expression
// holding it as a string literal, or nothing for "".
func literal(ws string) string {
	if ws == "" {
		return ""
	}
	return "{{ '" + ws + "' }}"
}

// rewriteTag checks and rewrites one tag (see rewriteNunjucks); comments
// and raw blocks stay as written.
func rewriteTag(seg segment) (string, error) {
	tag := seg.text
	if tag[1] == '#' || rawRe.MatchString(tag) {
		return tag, nil
	}
	code := stringRe.ReplaceAllString(tag, `""`)
	for _, m := range filterRe.FindAllStringSubmatch(code, -1) {
		if !slices.Contains(nunjucksFilters, m[1]) {
			at := seg.line + strings.Count(tag[:strings.Index(tag, m[0])], "\n")
			return "", &TemplateError{Line: at, Msg: fmt.Sprintf("Nunjucks filter %q is not one promptgate renders (it renders %s)",
				m[1], strings.Join(nunjucksFilters, ", "))}
		}
	}
	if m := bareRe.FindStringSubmatch(tag); m != nil {
		p := m[2]
		return boundTag(fmt.Sprintf(`{{%s (%s | tojson(separators=[',', ':'])) if (%s is mapping or %s is boolean or (%s is sequence and %s is not string)) else %s %s}}`,
			m[1], p, p, p, p, p, p, m[3]), seg.line)
	}
	if m := pairLoopRe.FindStringSubmatch(tag); m != nil && !strings.Contains(m[4], " if ") {
		x := "(" + m[4] + ")"
		tag = fmt.Sprintf(`{%%%s for %s, %s in ((%s | items) if %s is mapping else %s) %s%%}`, m[1], m[2], m[3], x, x, x, m[5])
	}
	return boundTag(dumpRe.ReplaceAllStringFunc(tag, func(d string) string {
		if n := dumpRe.FindStringSubmatch(d)[1]; n != "" && n != "0" {
			return "| tojson(indent=" + n + ")"
		}
		return `| tojson(separators=[',', ':'])`
	}), seg.line)
}

// engineLine is the line an engine error names, 1 when it names none.
func engineLine(msg string) int {
	var line int
	if m := lineRe.FindStringSubmatch(msg); m != nil {
		if _, err := fmt.Sscan(m[1], &line); err == nil && line > 0 {
			return line
		}
	}
	return 1
}
