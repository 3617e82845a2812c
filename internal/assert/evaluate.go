package assert

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/promptgate/promptgate/internal/llm"
)

// Output is what one model call produced, as the assertions see it.
type Output struct {
	Text string
	// CostUSD is the call's cost; CostKnown is false when the model has no price.
	CostUSD   float64
	CostKnown bool
	Latency   time.Duration
	// Vars are the case's vars, substituted into {{var}} in string values.
	Vars map[string]any
}

// Env is what model-graded assertions need.
type Env struct {
	// Judge makes llm-rubric calls; JudgeModel is the default judge model.
	Judge      llm.Completer
	JudgeModel string
}

// Result is the verdict of one assertion.
type Result struct {
	Type   string  `json:"type"`
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// Grade is the verdict of one test: its assertions' results combined.
type Grade struct {
	Pass    bool     `json:"pass"`
	Score   float64  `json:"score"`
	Reason  string   `json:"reason"`
	Results []Result `json:"results"`
}

// Evaluate grades out against asserts, scoring like promptfoo: Score is the
// weighted mean of the assertion scores; the test passes when every assertion
// passes, or, when testThreshold is set, when Score ≥ testThreshold. It returns
// an error only when grading itself failed (an llm-rubric judge call), which
// makes the case an error rather than a failure.
func Evaluate(ctx context.Context, asserts []Assertion, testThreshold *float64, out Output, env Env) (Grade, error) {
	if len(asserts) == 0 {
		return Grade{Pass: true, Score: 1, Reason: "no assertions"}, nil
	}
	g := Grade{Pass: true, Results: make([]Result, 0, len(asserts))}
	var total, weights float64
	var failed string
	for _, a := range asserts {
		r, err := a.evaluate(ctx, out, env)
		if err != nil {
			return Grade{}, fmt.Errorf("%s at %s:%d: %w", a.Name(), a.File, a.Line, err)
		}
		g.Results = append(g.Results, r)
		total += r.Score * a.Weight
		weights += a.Weight
		if !r.Pass && failed == "" {
			failed = r.Reason
		}
	}
	if weights > 0 {
		g.Score = total / weights
	}
	switch {
	case testThreshold != nil:
		g.Pass = g.Score >= *testThreshold
		cmp := "≥"
		if !g.Pass {
			cmp = "<"
		}
		g.Reason = fmt.Sprintf("score %.2f %s threshold %g", g.Score, cmp, *testThreshold)
	case failed != "":
		g.Pass, g.Reason = false, failed
	default:
		g.Reason = "all assertions passed"
	}
	return g, nil
}

// evaluate runs one assertion. Every check computes whether the condition
// holds; negation then flips pass and score.
func (a Assertion) evaluate(ctx context.Context, out Output, env Env) (Result, error) {
	if a.Type == "llm-rubric" {
		return a.rubric(ctx, out, env)
	}
	holds, score, why := a.check(out)
	pass := holds != a.Negate
	if a.Negate {
		score = 1 - score
	}
	r := Result{Type: a.Name(), Pass: pass, Score: score, Reason: "assertion passed"}
	if !pass {
		r.Reason = why
		if a.Negate {
			r.Reason = "expected the opposite: " + why
		}
	}
	if a.Type == "cost" && !out.CostKnown {
		// Negation cannot make an unknown cost pass.
		r.Pass, r.Score, r.Reason = false, 0, "cost unknown: the model has no price in the pricing table"
	}
	return r, nil
}

// check reports whether the assertion's condition holds, a score in [0, 1] and
// a description of the condition for failure messages.
func (a Assertion) check(out Output) (holds bool, score float64, why string) {
	text := out.Text
	boolean := func(ok bool, format string, args ...any) (bool, float64, string) {
		if ok {
			return true, 1, fmt.Sprintf(format, args...)
		}
		return false, 0, fmt.Sprintf(format, args...)
	}
	switch a.Type {
	case "equals":
		if want, ok := a.Value.(string); ok {
			want = substitute(want, out.Vars)
			return boolean(text == want, "output equals %q", clip(want))
		}
		var got any
		if err := json.Unmarshal([]byte(text), &got); err != nil {
			return boolean(false, "output equals %s (output is not JSON)", jsonText(a.Value))
		}
		return boolean(reflect.DeepEqual(normalize(a.Value), got), "output equals %s", jsonText(a.Value))
	case "contains":
		want := a.scalar(out.Vars)
		return boolean(strings.Contains(text, want), "output contains %q", want)
	case "icontains":
		want := a.scalar(out.Vars)
		return boolean(strings.Contains(strings.ToLower(text), strings.ToLower(want)), "output contains %q (any case)", want)
	case "starts-with":
		want := a.scalar(out.Vars)
		return boolean(strings.HasPrefix(text, want), "output starts with %q", want)
	case "contains-any", "icontains-any", "contains-all", "icontains-all":
		return a.containsList(text, out.Vars)
	case "regex":
		re := a.re
		if re == nil {
			var err error
			if re, err = regexp.Compile(substitute(a.Value.(string), out.Vars)); err != nil {
				return false, 0, fmt.Sprintf("invalid regular expression after {{var}} substitution: %v", err)
			}
		}
		return boolean(re.MatchString(text), "output matches /%s/", re)
	case "is-json":
		var v any
		if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &v); err != nil {
			return false, 0, fmt.Sprintf("output is valid JSON (%v)", err)
		}
		return a.matchesSchema(v, "output is valid JSON")
	case "json-schema":
		var v any
		if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &v); err != nil {
			return false, 0, fmt.Sprintf("output is JSON matching the schema (%v)", err)
		}
		return a.matchesSchema(v, "output is JSON matching the schema")
	case "contains-json":
		return a.containsJSON(text)
	case "levenshtein":
		want := substitute(a.Value.(string), out.Vars)
		limit := float64(DefaultLevenshteinThreshold)
		if a.Threshold != nil {
			limit = *a.Threshold
		}
		d := levenshtein.ComputeDistance(text, want)
		return boolean(float64(d) <= limit, "edit distance %d to %q is at most %g", d, clip(want), limit)
	case "cost":
		return boolean(out.CostUSD <= *a.Threshold, "cost $%.6f is at most $%g", out.CostUSD, *a.Threshold)
	case "latency":
		ms := float64(out.Latency) / float64(time.Millisecond)
		return boolean(ms <= *a.Threshold, "latency %.0f ms is at most %g ms", ms, *a.Threshold)
	}
	return false, 0, "unsupported assertion type " + a.Type
}

func (a Assertion) scalar(vars map[string]any) string {
	if s, ok := a.Value.(string); ok {
		return substitute(s, vars)
	}
	return fmt.Sprint(a.Value)
}

func (a Assertion) containsList(text string, vars map[string]any) (bool, float64, string) {
	fold := strings.HasPrefix(a.Type, "i")
	hay := text
	if fold {
		hay = strings.ToLower(text)
	}
	var found, missing []string
	for _, s := range a.strs {
		s = substitute(s, vars)
		needle := s
		if fold {
			needle = strings.ToLower(s)
		}
		if strings.Contains(hay, needle) {
			found = append(found, s)
		} else {
			missing = append(missing, s)
		}
	}
	if strings.HasSuffix(a.Type, "-any") {
		if len(found) > 0 {
			return true, 1, fmt.Sprintf("output contains one of %q (found %q)", a.strs, found)
		}
		return false, 0, fmt.Sprintf("output contains one of %q", a.strs)
	}
	if len(missing) == 0 {
		return true, 1, fmt.Sprintf("output contains all of %q", a.strs)
	}
	return false, 0, fmt.Sprintf("output contains all of %q (missing %q)", a.strs, missing)
}

func (a Assertion) matchesSchema(v any, what string) (bool, float64, string) {
	if a.schema == nil {
		return true, 1, what
	}
	if err := a.schema.Validate(v); err != nil {
		return false, 0, fmt.Sprintf("%s (%s)", what, oneLine(err.Error()))
	}
	return true, 1, what + " matching the schema"
}

// containsJSON passes when some JSON object or array embedded in the output
// parses (and, with a schema, validates), like promptfoo's extraction.
func (a Assertion) containsJSON(text string) (bool, float64, string) {
	const what = "output contains JSON"
	var lastErr string
	for _, v := range extractJSON(text) {
		ok, _, why := a.matchesSchema(v, what)
		if ok {
			return true, 1, why
		}
		lastErr = why
	}
	if lastErr != "" {
		return false, 0, lastErr
	}
	return false, 0, what
}

// maxJSONStarts bounds the candidate starts extractJSON tries, so a long
// output full of unbalanced brackets cannot make grading quadratic.
const maxJSONStarts = 256

// extractJSON returns every JSON object or array that starts at a '{' or '['
// in text and parses, scanning left to right without overlap.
func extractJSON(text string) []any {
	var found []any
	tries := 0
	for i := 0; i < len(text) && tries < maxJSONStarts; i++ {
		if text[i] != '{' && text[i] != '[' {
			continue
		}
		tries++
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		var v any
		if err := dec.Decode(&v); err != nil {
			continue
		}
		found = append(found, v)
		i += int(dec.InputOffset()) - 1
	}
	return found
}

var varRe = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}`)

// substitute replaces {{name}} (or {{a.b}} for nested vars) with the case's
// var: strings as they are, other values as JSON. An unknown name is left as
// written so the failure message shows it.
func substitute(s string, vars map[string]any) string {
	if len(vars) == 0 || !strings.Contains(s, "{{") {
		return s
	}
	return varRe.ReplaceAllStringFunc(s, func(m string) string {
		path := varRe.FindStringSubmatch(m)[1]
		var cur any = vars
		for _, key := range strings.Split(path, ".") {
			obj, ok := cur.(map[string]any)
			if !ok {
				return m
			}
			if cur, ok = obj[key]; !ok {
				return m
			}
		}
		if str, ok := cur.(string); ok {
			return str
		}
		return jsonText(cur)
	})
}

// normalize round-trips a YAML-decoded value through JSON so it compares
// equal to a JSON-decoded one (ints become float64).
func normalize(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(raw, &out) != nil {
		return v
	}
	return out
}

func jsonText(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return clip(string(raw))
}

func clip(s string) string {
	const limit = 200
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
