package assert

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// promptfoo compares text the way JavaScript sees it: a number value is
// String(n), case folding is String.prototype.toLowerCase, and a list written
// as one string is split as CSV. These helpers give the same results in Go.

// jsString renders a scalar value as JavaScript's String(v) would: 0.00001 is
// "0.00001", 1500000 is "1500000" and 1e21 is "1e+21".
func jsString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return jsNumber(float64(v))
	case int64:
		return jsNumber(float64(v))
	case uint64:
		return jsNumber(float64(v))
	case float64:
		return jsNumber(v)
	case nil:
		return "null"
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if x != nil {
				parts[i] = jsString(x)
			}
		}
		return strings.Join(parts, ",")
	case map[string]any:
		return "[object Object]"
	}
	return fmt.Sprint(v)
}

// jsNumber is Number.prototype.toString for a finite or infinite float.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	if a := math.Abs(f); a >= 1e-7 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e-07, 1e+21
	mant, exp, _ := strings.Cut(s, "e")
	sign := exp[:1]
	exp = strings.TrimLeft(exp[1:], "0")
	return mant + "e" + sign + exp
}

var jsLower = cases.Lower(language.Und)

// toLowerJS is JavaScript's toLowerCase: full Unicode lower-casing with the
// final-sigma rule and İ → i̇, which strings.ToLower does not apply.
func toLowerJS(s string) string {
	return jsLower.String(s)
}

// parseCSVList splits a contains-any/contains-all string value the way
// promptfoo does: fields separated by commas and trimmed, a field in double
// quotes may hold commas, and "" inside quotes is one quote.
func parseCSVList(value string) ([]string, error) {
	var out []string
	i := 0
	for i < len(value) {
		for i < len(value) && (isJSSpace(value[i]) || value[i] == ',') {
			i++
		}
		if i >= len(value) {
			break
		}
		if value[i] != '"' {
			j := strings.IndexByte(value[i:], ',')
			if j < 0 {
				j = len(value) - i
			}
			out = append(out, strings.TrimSpace(value[i:i+j]))
			i += j
			continue
		}
		var field strings.Builder
		i++
		closed := false
		for i < len(value) {
			if value[i] == '\\' && i+1 < len(value) && (value[i+1] == '"' || value[i+1] == '\\') {
				field.WriteByte(value[i+1])
				i += 2
				continue
			}
			if value[i] == '"' {
				if i+1 < len(value) && value[i+1] == '"' {
					field.WriteByte('"')
					i += 2
					continue
				}
				i++
				closed = true
				break
			}
			field.WriteByte(value[i])
			i++
		}
		if !closed {
			return nil, fmt.Errorf("unterminated quoted field in %q", value)
		}
		out = append(out, field.String())
		for i < len(value) && isJSSpace(value[i]) {
			i++
		}
		if i < len(value) && value[i] != ',' {
			return nil, fmt.Errorf("expected a comma after a quoted field in %q", value)
		}
	}
	return out, nil
}

func isJSSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f'
}
