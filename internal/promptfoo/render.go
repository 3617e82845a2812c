package promptfoo

import (
	"encoding/json"
	"regexp"
	"strings"
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

// Unsupported reports Nunjucks syntax Render does not handle: block tags
// ({% %}) and filters or expressions inside {{ }}.
func Unsupported(tpl string) string {
	if strings.Contains(tpl, "{%") {
		return "{% %} tags"
	}
	rest := tagRe.ReplaceAllString(tpl, "")
	if i := strings.Index(rest, "{{"); i >= 0 && strings.Contains(rest[i:], "}}") {
		return "filters and expressions in {{ }}"
	}
	return ""
}
