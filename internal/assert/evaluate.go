package assert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
	"github.com/santhosh-tekuri/jsonschema/v6"

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
	// Prompt is the rendered prompt, which javascript assertions see as
	// context.prompt.
	Prompt string
	// ToolCalls are every tool call the model made over the case's tool
	// loop, in order; Tools the tools it was offered; Turns the model calls.
	ToolCalls []llm.ToolCall
	Tools     []llm.Tool
	Turns     int
}

// Env is what model-graded assertions need.
type Env struct {
	// Judge makes llm-rubric calls; JudgeModel is the default judge model.
	Judge      llm.Completer
	JudgeModel string
	// Regex, when set, is the matching time the run's regex assertions share;
	// once it is spent, a regex assertion makes its case an error.
	Regex *RegexBudget
	// JSTimeout bounds each javascript assertion (DefaultJSTimeout if 0, and
	// never more).
	JSTimeout time.Duration
}

// Result is the verdict of one assertion.
type Result struct {
	Type   string  `json:"type"`
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
	// NotGraded marks an assertion promptgate does not grade: Pass and
	// Score mean nothing then.
	NotGraded bool `json:"not_graded,omitempty"`
}

// Grade is the verdict of one test: its assertions' results combined.
type Grade struct {
	Pass    bool     `json:"pass"`
	Score   float64  `json:"score"`
	Reason  string   `json:"reason"`
	Results []Result `json:"results"`
	// Ungraded names the assertions that were not graded ("similar
	// (promptfooconfig.yaml:43)"); NotGraded is set when no assertion was,
	// and then the test neither passes nor fails.
	Ungraded  []string `json:"ungraded,omitempty"`
	NotGraded bool     `json:"not_graded,omitempty"`
}

// Evaluate grades out against asserts, scoring like promptfoo: Score is the
// weighted mean of the assertion scores; the test passes when every assertion
// passes, or, when testThreshold is set, when Score ≥ testThreshold. It returns
// an error only when grading itself failed (an llm-rubric judge call, or a
// javascript assertion stopped at one of its bounds, or a regex assertion
// past the run's matching-time budget), which makes the case an error rather
// than a failure. Assertions promptgate does not grade (NotGraded) are listed
// in Ungraded and left out of the score; a test with no other assertion is
// NotGraded, neither passing nor failing.
func Evaluate(ctx context.Context, asserts []Assertion, testThreshold *float64, out Output, env Env) (Grade, error) {
	if len(asserts) == 0 {
		return Grade{Pass: true, Score: 1, Reason: "no assertions"}, nil
	}
	g := Grade{Pass: true, Results: make([]Result, 0, len(asserts))}
	var total, weights float64
	var failed string
	graded := 0
	for _, a := range asserts {
		if !a.Graded() {
			g.Ungraded = append(g.Ungraded, a.Where())
			g.Results = append(g.Results, Result{Type: a.Name(), NotGraded: true, Reason: "not graded: promptgate does not grade " + a.Type})
			continue
		}
		graded++
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
	if graded == 0 {
		return Grade{Score: 0, Reason: "not graded: promptgate grades none of its assertions (" + strings.Join(g.Ungraded, ", ") + ")",
			Results: g.Results, Ungraded: g.Ungraded, NotGraded: true}, nil
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
	if a.Judged() {
		grade := a.rubric
		if a.Type == "trajectory:goal-success" {
			grade = a.goalSuccess
		}
		r, err := grade(ctx, out, env)
		if err == nil && a.Weight == 0 {
			r.Pass = true
		}
		return r, err
	}
	if a.Type == "javascript" {
		r, err := a.runJS(out, env.JSTimeout)
		if errors.Is(err, errJSLimit) {
			// A script stopped at a bound neither passes nor fails: the case
			// is an error that names the bound.
			return Result{}, err
		}
		if err != nil {
			// A script that throws fails, negated or not, as in promptfoo.
			r = Result{Type: a.Name(), Reason: "Custom function threw error: " + clip(oneLine(err.Error()))}
		}
		r.Score = min(max(r.Score, 0), 1)
		if a.Weight == 0 {
			r.Pass = true
		}
		return r, nil
	}
	if a.tool != nil {
		return a.evaluateTool(out), nil
	}
	if a.Type == "regex" {
		if err := env.Regex.exhausted(); err != nil {
			return Result{}, err
		}
		start := time.Now()
		defer func() { env.Regex.charge(time.Since(start)) }()
	}
	v := a.check(out)
	pass := v.holds != a.Negate
	score := 0.0
	if pass {
		score = 1
	}
	r := Result{Type: a.Name(), Pass: pass, Score: score, Reason: "assertion passed"}
	if !pass {
		r.Reason = v.reason(a.Negate)
	}
	if a.Type == "cost" && !out.CostKnown {
		// Negation cannot make an unknown cost pass.
		r.Pass, r.Score, r.Reason = false, 0, "cost unknown: the model has no price in the pricing table"
	}
	if v.broken {
		// An invalid regex fails whether negated or not, as in promptfoo.
		r.Pass, r.Score, r.Reason = false, 0, v.reason(false)
	}
	if a.Weight == 0 {
		// promptfoo forces a zero-weight assertion to pass: it only reports.
		r.Pass = true
	}
	return r, nil
}

// verdict is what one check found, worded for a failure message in
// promptfoo's style: "Expected <subject> to <predicate> <detail>", with "not
// to" when the assertion is negated. The subject shows what was got (the
// output, the cost, the latency), the predicate what was expected.
type verdict struct {
	holds              bool
	subject, predicate string
	// detail is an optional note on what was found, such as missing items.
	detail string
	// broken means the check could not run (an invalid regex): it fails
	// even when negated.
	broken bool
}

func (v verdict) reason(negated bool) string {
	to := "to"
	if negated {
		to = "not to"
	}
	msg := "Expected " + v.subject + " " + to + " " + v.predicate
	if v.detail != "" {
		msg += " " + v.detail
	}
	return msg
}

// maxShownOutput bounds how much of the output a failure message quotes.
const maxShownOutput = 80

// check reports whether the assertion's condition holds, described for a
// failure message.
func (a Assertion) check(out Output) verdict {
	text := out.Text
	got := "output " + quoteClipped(text, maxShownOutput)
	v := verdict{subject: got}
	switch a.Type {
	case "equals":
		switch want := a.Value.(type) {
		case map[string]any, []any:
			v.predicate = "equal " + jsonText(want)
			var parsed any
			if err := json.Unmarshal([]byte(text), &parsed); err != nil {
				v.detail = "(it is not JSON)"
				return v
			}
			v.holds = reflect.DeepEqual(normalize(want), parsed)
		default:
			w := a.scalar(out.Vars)
			v.holds, v.predicate = text == w, "equal "+quoteClipped(w, clipLimit)
		}
		return v
	case "contains":
		want := a.scalar(out.Vars)
		v.holds, v.predicate = strings.Contains(text, want), "contain "+quoteClipped(want, clipLimit)
	case "icontains":
		want := a.scalar(out.Vars)
		v.holds = strings.Contains(toLowerJS(text), toLowerJS(want))
		v.predicate = "contain " + quoteClipped(want, clipLimit) + " (ignoring case)"
	case "starts-with":
		want := a.scalar(out.Vars)
		v.holds, v.predicate = strings.HasPrefix(text, want), "start with "+quoteClipped(want, clipLimit)
	case "contains-any", "icontains-any", "contains-all", "icontains-all":
		return a.containsList(v, text, out.Vars)
	case "regex":
		return a.matchRegex(v, text, out.Vars)
	case "is-json", "json-schema":
		v.predicate = "be valid JSON"
		if a.schema != nil {
			v.predicate = "be JSON matching the schema"
		}
		// JSON.parse: no trimming beyond JSON's own whitespace, and numbers
		// out of float64 range (1e400) are valid.
		if !json.Valid([]byte(text)) {
			v.detail = "(it is not JSON)"
			return v
		}
		parsed, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
		if err != nil {
			v.detail = "(" + oneLine(err.Error()) + ")"
			return v
		}
		v.holds, v.detail = a.matchesSchema(parsed)
	case "contains-json":
		return a.containsJSON(v, text)
	case "levenshtein":
		want := substitute(a.Value.(string), out.Vars)
		limit := float64(DefaultLevenshteinThreshold)
		if a.Threshold != nil {
			limit = *a.Threshold
		}
		d := levenshtein.ComputeDistance(text, want)
		v.holds = float64(d) <= limit
		v.predicate = fmt.Sprintf("be within edit distance %g of %s", limit, quoteClipped(want, clipLimit))
		v.detail = fmt.Sprintf("(distance %d)", d)
	case "cost":
		v.subject = fmt.Sprintf("cost $%.6f", out.CostUSD)
		v.holds, v.predicate = out.CostUSD <= *a.Threshold, fmt.Sprintf("be at most $%g", *a.Threshold)
	case "latency":
		ms := float64(out.Latency) / float64(time.Millisecond)
		v.subject = fmt.Sprintf("latency %.0f ms", ms)
		v.holds, v.predicate = ms <= *a.Threshold, fmt.Sprintf("be at most %g ms", *a.Threshold)
	default:
		v.predicate = "be graded by a known assertion type, not " + a.Type
	}
	return v
}

// scalar is a string value with {{var}} substituted, or a number or boolean
// as JavaScript's String(value) writes it.
func (a Assertion) scalar(vars map[string]any) string {
	if s, ok := a.Value.(string); ok {
		return substitute(s, vars)
	}
	return jsString(a.Value)
}

func (a Assertion) containsList(v verdict, text string, vars map[string]any) verdict {
	fold := strings.HasPrefix(a.Type, "i")
	hay := text
	if fold {
		hay = toLowerJS(text)
	}
	items := a.strs
	if a.templed {
		var err error
		if items, err = stringList(substitute(a.Value.(string), vars)); err != nil {
			v.predicate = "contain a list"
			v.detail = "(" + err.Error() + ")"
			return v
		}
		vars = nil
	}
	var found, missing, want []string
	for _, s := range items {
		s = substitute(s, vars)
		want = append(want, s)
		needle := s
		if fold {
			needle = toLowerJS(s)
		}
		if strings.Contains(hay, needle) {
			found = append(found, s)
		} else {
			missing = append(missing, s)
		}
	}
	list := clip(fmt.Sprintf("%q", want))
	if strings.HasSuffix(a.Type, "-any") {
		v.holds, v.predicate = len(found) > 0, "contain any of "+list
		if v.holds {
			v.detail = clip(fmt.Sprintf("(found %q)", found))
		}
	} else {
		v.holds, v.predicate = len(missing) == 0, "contain all of "+list
		if !v.holds {
			v.detail = clip(fmt.Sprintf("(missing %q)", missing))
		}
	}
	if fold {
		v.predicate += " (ignoring case)"
	}
	return v
}

// matchesSchema validates a parsed value against the assertion's schema, if
// any, and says why it does not match.
func (a Assertion) matchesSchema(parsed any) (bool, string) {
	if a.schema == nil {
		return true, ""
	}
	if err := a.schema.Validate(parsed); err != nil {
		// The library names the schema by a file URL under the working
		// directory; the suite's line already says which schema it is.
		msg := schemaErrPrefix.ReplaceAllString(oneLine(err.Error()), "")
		return false, "(" + clip(msg) + ")"
	}
	return true, ""
}

var schemaErrPrefix = regexp.MustCompile(`^jsonschema validation failed with '[^']*'( - )?`)

// containsJSON holds when some JSON object found in the output, as
// promptfoo finds them (see extractJSONObjects), matches the schema, or
// exists when there is no schema.
func (a Assertion) containsJSON(v verdict, text string) verdict {
	v.predicate = "contain JSON"
	if a.schema != nil {
		v.predicate = "contain JSON matching the schema"
	}
	found := extractJSONObjects(text)
	if len(found) == 0 {
		v.detail = "(no JSON object found)"
		return v
	}
	for _, obj := range found {
		raw, err := json.Marshal(obj)
		if err != nil {
			continue
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(string(raw)))
		if err != nil {
			continue
		}
		ok, why := a.matchesSchema(doc)
		if ok {
			v.holds, v.detail = true, ""
			return v
		}
		v.detail = why
	}
	return v
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

// clipLimit bounds expected values and lists quoted in messages.
const clipLimit = 200

func clip(s string) string { return clipN(s, clipLimit) }

func clipN(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quoteClipped quotes s, cut to about limit bytes, for a message.
func quoteClipped(s string, limit int) string {
	short := clipN(s, limit)
	if len(short) == len(s) {
		return strconv.Quote(s)
	}
	return strconv.Quote(strings.TrimSuffix(short, "…")) + "…"
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
