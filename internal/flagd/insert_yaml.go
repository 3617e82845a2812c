package flagd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// insertYAML adds a block-style targeting section after the flag mapping's
// last line, indented like the flag's other keys:
//
//	targeting:
//	  fractional:
//	    - [stable, 100]
//	    - [candidate, 0]
func (d *document) insertYAML(m *managedFlag, pct int) ([]edit, error) {
	return d.insertYAMLSection(m, "targeting", func(sub, step, nl string) string {
		var b strings.Builder
		b.WriteString(sub + "fractional:" + nl)
		for _, bk := range [2]struct {
			v string
			w int
		}{{m.split.Stable, 100 - pct}, {m.split.Rollout, pct}} {
			b.WriteString(sub + step + "- [" + yamlQuote(bk.v) + ", " + strconv.Itoa(bk.w) + "]" + nl)
		}
		return b.String()
	})
}

// insertYAMLSection adds "key:" and the lines body writes (indented by sub,
// one level, step, deeper than the flag's keys) after the flag mapping's last line.
func (d *document) insertYAMLSection(m *managedFlag, key string, body func(sub, step, nl string) string) ([]edit, error) {
	fn := m.node
	if fn.shared {
		return nil, diag.Errorf("", m.keyLine,
			"flag %q is under a YAML anchor or alias; add its %s by hand", m.name, key)
	}
	if fn.flow {
		return nil, diag.Errorf("", m.keyLine,
			"flag %q is written in YAML flow style ({...}); add %q to it by hand or write it in block style", m.name, key)
	}
	at, prefix, nl, indent, keyCol, err := d.blockEnd(fn)
	if err != nil {
		return nil, diag.Errorf("", m.keyLine, "flag %q: %v; add %q by hand", m.name, err, key)
	}
	n := keyCol - m.keyCol
	if n <= 0 {
		n = 2
	}
	step := strings.Repeat(" ", n)
	return []edit{{at, at, prefix + indent + key + ":" + nl + body(indent+step, step, nl)}}, nil
}

// blockEnd finds where lines can be appended to block mapping fn: the offset
// after its last line, the line break to use (prefix goes before the new
// lines when the file ends without one), and the indentation and column of
// its keys.
func (d *document) blockEnd(fn *node) (at int, prefix, nl, indent string, keyCol int, err error) {
	if d.starts == nil {
		d.starts = lineStarts(d.src)
	}
	keyCol = fn.keyCols[0]
	keyOff := offsetOf(d.src, d.starts, fn.keyLines[0], keyCol)
	lineOff := d.starts[fn.keyLines[0]-1]
	if keyOff < 0 || strings.Trim(string(d.src[lineOff:keyOff]), " ") != "" {
		return 0, "", "", "", 0, fmt.Errorf("can't work out its indentation")
	}
	indent = string(d.src[lineOff:keyOff])

	// The mapping's last value ends on the last line, after its last key, that
	// is indented deeper than the keys (or is a "- " item at the same depth,
	// which YAML allows under a key). Blank and comment lines after it stay
	// where they are, after the new lines.
	lastKeyLine := fn.keyLines[len(fn.keyLines)-1]
	lastContent := lastKeyLine
scan:
	for ln := lastKeyLine + 1; ln <= len(d.starts); ln++ {
		text := d.lineText(ln)
		body := strings.TrimLeft(text, " ")
		ind := len(text) - len(body)
		trimmed := strings.TrimSpace(body)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "#"):
		case ind > keyCol-1, ind == keyCol-1 && (trimmed == "-" || strings.HasPrefix(body, "- ") || strings.HasPrefix(body, "-\t")):
			lastContent = ln
		default:
			break scan
		}
	}

	nl = d.lineBreak(lastContent)
	at = len(d.src)
	if lastContent < len(d.starts) {
		at = d.starts[lastContent]
	} else if nl == "" { // last line of the file without a line break
		nl = d.anyLineBreak()
		prefix = nl
	}
	return at, prefix, nl, indent, keyCol, nil
}

// lineText returns line ln (1-based) without its line break.
func (d *document) lineText(ln int) string {
	start := d.starts[ln-1]
	end := len(d.src)
	if ln < len(d.starts) {
		end = d.starts[ln]
	}
	return strings.TrimRight(string(d.src[start:end]), "\r\n\u0085\u2028\u2029")
}

// lineBreak returns the break that ends line ln, or "" for the last line.
func (d *document) lineBreak(ln int) string {
	if ln >= len(d.starts) {
		return ""
	}
	text := string(d.src[d.starts[ln-1]:d.starts[ln]])
	return text[len(strings.TrimRight(text, "\r\n\u0085\u2028\u2029")):]
}

// anyLineBreak returns the document's first line break style, else "\n".
func (d *document) anyLineBreak() string {
	if len(d.starts) > 1 {
		return d.lineBreak(1)
	}
	return "\n"
}

var plainYAML = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

// yaml11Words are plain scalars that YAML 1.1 tools read as booleans or null,
// so they are quoted even though yaml.v3 (and so flagd) reads them as strings.
var yaml11Words = map[string]bool{
	"y": true, "yes": true, "n": true, "no": true, "on": true, "off": true,
	"true": true, "false": true, "null": true,
}

// yamlQuote writes a variant name as a plain scalar when YAML reads it back as
// the same string, else as a double-quoted (JSON-compatible) one.
func yamlQuote(s string) string {
	if plainYAML.MatchString(s) && !yaml11Words[strings.ToLower(s)] {
		var v any
		if err := yaml.Unmarshal([]byte(s), &v); err == nil && v == s {
			return s
		}
	}
	return jsonQuote(s)
}

func jsonQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
