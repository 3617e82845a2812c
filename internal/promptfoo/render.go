package promptfoo

import (
	"cmp"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
)

// tagRe matches a Nunjucks output tag holding a variable path, {{ name }}
// or {{ a.b }}.
var tagRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}`)

// Render fills {{var}} tags the way promptfoo's Nunjucks does for plain
// variables: strings as they are, other values as JSON, and an unknown name
// as the empty string. Other Nunjucks syntax is left as written (see
// Unsupported).
func Render(tpl string, vars map[string]any) string {
	if !strings.Contains(tpl, "{{") {
		return tpl
	}
	return tagRe.ReplaceAllStringFunc(tpl, func(m string) string {
		var cur any = vars
		for _, key := range strings.Split(tagRe.FindStringSubmatch(m)[1], ".") {
			obj, ok := cur.(map[string]any)
			if !ok {
				return ""
			}
			if cur, ok = obj[key]; !ok {
				return ""
			}
		}
		switch v := cur.(type) {
		case string:
			return v
		case nil:
			return ""
		}
		raw, err := json.Marshal(cur)
		if err != nil {
			return ""
		}
		return string(raw)
	})
}

// Unsupported reports Nunjucks syntax Render does not handle, which the
// Nunjucks renderer then renders: block tags ({% %}), comments ({# #}) and
// filters or expressions inside {{ }}.
func Unsupported(tpl string) string {
	if strings.Contains(tpl, "{%") {
		return "{% %} tags"
	}
	if strings.Contains(tpl, "{#") {
		return "{# #} comments"
	}
	rest := tagRe.ReplaceAllString(tpl, "")
	if i := strings.Index(rest, "{{"); i >= 0 && strings.Contains(rest[i:], "}}") {
		return "filters and expressions in {{ }}"
	}
	return ""
}

// renderFunc compiles a promptfoo prompt into its renderer: chat messages
// each rendered, or a text rendered and, when it is a JSON chat array, read
// as messages, as promptfoo does; else one user message. A template using
// Nunjucks beyond {{var}} is compiled with the Nunjucks renderer; one it
// cannot render is an error at the prompt's file and line.
func renderFunc(p Prompt) (prompt.RenderFunc, error) {
	if len(p.Messages) > 0 {
		texts := make([]textFunc, len(p.Messages))
		for i, m := range p.Messages {
			f, err := compileText(p, m.Content, false)
			if err != nil {
				return nil, err
			}
			texts[i] = f
		}
		return func(vars map[string]any) ([]llm.Message, error) {
			msgs := make([]llm.Message, len(p.Messages))
			for i, m := range p.Messages {
				content, err := texts[i](vars)
				if err != nil {
					return nil, err
				}
				msgs[i] = llm.Message{Role: m.Role, Content: content}
			}
			return msgs, nil
		}, nil
	}
	render, err := compileText(p, p.Raw, true)
	if err != nil {
		return nil, err
	}
	return func(vars map[string]any) ([]llm.Message, error) {
		text, err := render(vars)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.TrimSpace(text), "[") {
			var msgs []llm.Message
			if json.Unmarshal([]byte(text), &msgs) == nil && len(msgs) > 0 {
				return msgs, nil
			}
		}
		return []llm.Message{{Role: "user", Content: text}}, nil
	}, nil
}

// textFunc renders one template with a test's vars.
type textFunc func(vars map[string]any) (string, error)

// compileText compiles one template of p: {{var}} alone keeps the plain
// renderer, anything more goes to the Nunjucks one. inRaw says the
// template is p.Raw, whose lines count from p.Line.
func compileText(p Prompt, text string, inRaw bool) (textFunc, error) {
	if Unsupported(text) == "" {
		return func(vars map[string]any) (string, error) { return Render(text, vars), nil }, nil
	}
	n, err := CompileNunjucks(text)
	at := func(err error) int {
		var te *TemplateError
		if errors.As(err, &te) && inRaw {
			return p.Line + te.Line - 1
		}
		return p.Line
	}
	if err != nil {
		return nil, diag.Errorf(p.File, at(err), "prompt %s: %v; promptgate refuses to send it unrendered", cmp.Or(p.Label, "template"), err)
	}
	return func(vars map[string]any) (string, error) {
		out, err := n.Render(vars)
		if err != nil {
			return "", diag.Errorf(p.File, at(err), "prompt %s: %v; nothing is sent to the model", cmp.Or(p.Label, "template"), err)
		}
		return out, nil
	}, nil
}
