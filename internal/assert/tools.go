package assert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/schema"
)

// ToolTypes are the assertions on a case's tool calls, with promptfoo's
// names and value shapes. They grade every call of the case's tool loop.
var ToolTypes = []string{
	"is-valid-openai-tools-call", "tool-call-f1", "trajectory:goal-success", "trajectory:step-count",
	"trajectory:tool-args-match", "trajectory:tool-sequence", "trajectory:tool-used",
}

// toolSpec is a tool assertion's value, read once at Compile.
type toolSpec struct {
	// names are tool-call-f1's expected tools and trajectory:tool-used's
	// list; steps tool-sequence's matchers, exact its mode.
	names []string
	steps []matcher
	exact bool
	// one is the single matcher of tool-used's count form, tool-args-match
	// and step-count, with min and max (nil when unset).
	one      matcher
	min, max *float64
	counted  bool // tool-used's object form: count calls
	args     any
	partial  bool
	defaults map[string]any
	ignore   []matcher
	// types are step-count's step types ("llm", "tool"); empty means turns.
	types []string
	// goal is goal-success's goal, which an LLM judge grades the loop on.
	goal string
}

// matcher matches a tool name exactly, or a pattern with * and ?.
type matcher struct {
	label string
	re    *regexp.Regexp
}

func newMatcher(name, pattern string) matcher {
	label, glob := name, pattern != ""
	if glob {
		label = pattern
	}
	// Rune by rune, so bytes that are not UTF-8 (a CSV cell can hold them)
	// become U+FFFD, as they do in the model's JSON, instead of a regexp
	// that does not compile.
	var b strings.Builder
	b.WriteString("^")
	for _, r := range label {
		switch {
		case glob && r == '*':
			b.WriteString(".*")
		case glob && r == '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return matcher{label: label, re: regexp.MustCompile(b.String())}
}

func (m matcher) match(name string) bool { return m.re.MatchString(name) }

// compileTool reads a tool assertion's value into a toolSpec.
func compileTool(typ string, v any, threshold *float64) (*toolSpec, error) {
	sp := &toolSpec{}
	switch typ {
	case "is-valid-openai-tools-call":
		// The tools are the prompt's; any value is ignored, as in promptfoo.
	case "tool-call-f1":
		var names []string
		switch v := v.(type) {
		case string:
			names = strings.Split(v, ",")
		case []any:
			for _, x := range v {
				names = append(names, jsString(x))
			}
		default:
			return nil, fmt.Errorf("value must be the expected tool names: a list or a comma-separated string")
		}
		for _, n := range names {
			if n = strings.TrimSpace(n); n != "" && !slices.Contains(sp.names, n) {
				sp.names = append(sp.names, n)
			}
		}
		if len(sp.names) == 0 {
			return nil, fmt.Errorf("value needs at least one expected tool name")
		}
		if threshold != nil && *threshold > 1 {
			return nil, fmt.Errorf("threshold is the F1 score to reach, between 0 and 1")
		}
	case "trajectory:tool-used":
		switch v := v.(type) {
		case string:
			sp.steps = []matcher{newMatcher(v, "")}
		case []any:
			for _, x := range v {
				s, ok := x.(string)
				if !ok {
					return nil, fmt.Errorf("value must be a tool name, a list of names, or {name or pattern, min, max}")
				}
				sp.steps = append(sp.steps, newMatcher(s, ""))
			}
			if len(sp.steps) == 0 {
				return nil, fmt.Errorf("value needs at least one expected tool")
			}
		case map[string]any:
			m, err := objMatcher(v, []string{"max", "min", "name", "pattern"})
			if err != nil {
				return nil, err
			}
			sp.one, sp.counted = m, true
			if sp.min, sp.max, err = minMax(v); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("value must be a tool name, a list of names, or {name or pattern, min, max}")
		}
	case "trajectory:tool-sequence":
		steps := v
		if obj, ok := v.(map[string]any); ok {
			if err := onlyKeys(obj, []string{"mode", "steps"}); err != nil {
				return nil, err
			}
			switch obj["mode"] {
			case nil, "in_order":
			case "exact":
				sp.exact = true
			default:
				return nil, fmt.Errorf("mode must be exact or in_order")
			}
			steps = obj["steps"]
		}
		list, ok := steps.([]any)
		if !ok || len(list) == 0 {
			return nil, fmt.Errorf("value must be a list of tool names, or {mode, steps: [...]}")
		}
		for i, x := range list {
			switch x := x.(type) {
			case string:
				sp.steps = append(sp.steps, newMatcher(x, ""))
			case map[string]any:
				m, err := objMatcher(x, []string{"name", "pattern"})
				if err != nil {
					return nil, fmt.Errorf("step %d: %w", i+1, err)
				}
				sp.steps = append(sp.steps, m)
			default:
				return nil, fmt.Errorf("step %d must be a tool name or {name or pattern}", i+1)
			}
		}
	case "trajectory:tool-args-match":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("value must be {name, args}")
		}
		m, err := objMatcher(obj, []string{"args", "arguments", "defaults", "ignore", "mode", "name", "pattern"})
		if err != nil {
			return nil, err
		}
		sp.one = m
		var has bool
		if sp.args, has = obj["args"]; !has {
			sp.args, has = obj["arguments"]
		}
		if !has || sp.args == nil {
			return nil, fmt.Errorf("value needs args (the arguments expected)")
		}
		sp.args = normalize(sp.args)
		switch obj["mode"] {
		case nil, "partial":
			sp.partial = true
		case "exact":
		default:
			return nil, fmt.Errorf("mode must be partial or exact")
		}
		if d, has := obj["defaults"]; has {
			if sp.defaults, ok = normalize(d).(map[string]any); !ok {
				return nil, fmt.Errorf("defaults must map argument names to default values")
			}
		}
		ign := obj["ignore"]
		if s, isStr := ign.(string); isStr {
			ign = []any{s}
		}
		if ign != nil {
			list, ok := ign.([]any)
			if !ok {
				return nil, fmt.Errorf("ignore must be an argument name or a list of them")
			}
			for _, x := range list {
				s, ok := x.(string)
				if !ok || strings.TrimSpace(s) == "" {
					return nil, fmt.Errorf("ignore must be an argument name or a list of them")
				}
				sp.ignore = append(sp.ignore, newMatcher("", s))
			}
		}
	case "trajectory:goal-success":
		var err error
		if sp.goal, err = goalValue(v); err != nil {
			return nil, err
		}
	case "trajectory:step-count":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("value must be {min, max}, optionally with type (llm or tool) and name or pattern")
		}
		if err := onlyKeys(obj, []string{"max", "min", "name", "pattern", "type"}); err != nil {
			return nil, err
		}
		var err error
		if sp.min, sp.max, err = minMax(obj); err != nil {
			return nil, err
		}
		if sp.min == nil && sp.max == nil {
			return nil, fmt.Errorf("value needs min or max")
		}
		switch t := obj["type"].(type) {
		case nil:
		case string:
			sp.types = []string{t}
		case []any:
			for _, x := range t {
				sp.types = append(sp.types, jsString(x))
			}
		}
		for _, t := range sp.types {
			if t != "llm" && t != "tool" {
				return nil, fmt.Errorf("type must be llm (model turns) or tool (tool calls), not %q", t)
			}
		}
		if obj["name"] != nil || obj["pattern"] != nil {
			m, err := objMatcher(obj, []string{"max", "min", "name", "pattern", "type"})
			if err != nil {
				return nil, err
			}
			sp.one = m
		}
	}
	return sp, nil
}

// objMatcher reads {name} or {pattern} from an assertion value.
func objMatcher(obj map[string]any, keys []string) (matcher, error) {
	if err := onlyKeys(obj, keys); err != nil {
		return matcher{}, err
	}
	name, _ := obj["name"].(string)
	pattern, _ := obj["pattern"].(string)
	if name == "" && pattern == "" {
		return matcher{}, fmt.Errorf("value needs a tool name (or a pattern)")
	}
	return newMatcher(name, pattern), nil
}

func onlyKeys(obj map[string]any, keys []string) error {
	var unknown []string
	for k := range obj {
		if !slices.Contains(keys, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown key %q in value%s (supported: %s)", unknown[0], didYouMean(unknown[0], keys), strings.Join(keys, ", "))
	}
	return nil
}

func minMax(obj map[string]any) (lo, hi *float64, err error) {
	read := func(k string) (*float64, error) {
		x, has := obj[k]
		if !has {
			return nil, nil
		}
		f, ok := number(x)
		if !ok || f < 0 {
			return nil, fmt.Errorf("%s must be a number ≥ 0", k)
		}
		return &f, nil
	}
	if lo, err = read("min"); err != nil {
		return nil, nil, err
	}
	if hi, err = read("max"); err != nil {
		return nil, nil, err
	}
	if lo != nil && hi != nil && *lo > *hi {
		return nil, nil, fmt.Errorf("min %g is above max %g", *lo, *hi)
	}
	return lo, hi, nil
}

func number(x any) (float64, bool) {
	switch x := x.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// checkTool grades a tool assertion. holds is the condition before
// negation; score overrides the 0/1 score when set (tool-call-f1's F1).
func (a Assertion) checkTool(out Output) (holds bool, score *float64, reason string) {
	sp := a.tool
	names := make([]string, len(out.ToolCalls))
	for i, c := range out.ToolCalls {
		names[i] = c.Name
	}
	called := "(none)"
	if len(names) > 0 {
		called = strings.Join(names, ", ")
	}
	switch a.Type {
	case "is-valid-openai-tools-call":
		return validToolCalls(out)
	case "tool-call-f1":
		actual := map[string]bool{}
		for _, n := range names {
			actual[n] = true
		}
		hit := 0
		for _, n := range sp.names {
			if actual[n] {
				hit++
			}
		}
		var precision, recall, f1 float64
		if len(actual) > 0 {
			precision = float64(hit) / float64(len(actual))
		}
		recall = float64(hit) / float64(len(sp.names))
		if precision+recall > 0 {
			f1 = 2 * precision * recall / (precision + recall)
		}
		limit := 1.0
		if a.Threshold != nil {
			limit = *a.Threshold
		}
		expected := slices.Sorted(slices.Values(sp.names))
		return f1 >= limit, &f1, fmt.Sprintf("Tool Call F1 %.3f against threshold %g (precision=%.3f, recall=%.3f). Expected: [%s], Called: [%s]",
			f1, limit, precision, recall, strings.Join(expected, ", "), strings.Join(sortedSet(names), ", "))
	case "trajectory:tool-used":
		if sp.counted {
			n := countMatches(names, sp.one)
			lo := 1.0
			if sp.min != nil {
				lo = *sp.min
			}
			holds = float64(n) >= lo && (sp.max == nil || float64(n) <= *sp.max)
			return holds, nil, fmt.Sprintf("Tool %q was called %d time(s) (expected %s). Actual tools: %s", sp.one.label, n, rangeText(&lo, sp.max), called)
		}
		var missing, found []string
		for _, m := range sp.steps {
			if countMatches(names, m) > 0 {
				found = append(found, m.label)
			} else {
				missing = append(missing, m.label)
			}
		}
		if a.Negate {
			// not-: none of the listed tools may be called, as in promptfoo.
			return len(found) > 0, nil, fmt.Sprintf("Forbidden tool(s) called: %s. Actual tools: %s", strings.Join(found, ", "), called)
		}
		return len(missing) == 0, nil, fmt.Sprintf("Missing required tool(s): %s. Actual tools: %s", strings.Join(missing, ", "), called)
	case "trajectory:tool-sequence":
		labels := make([]string, len(sp.steps))
		for i, m := range sp.steps {
			labels[i] = m.label
		}
		if sp.exact {
			holds = len(names) == len(sp.steps)
			for i := 0; holds && i < len(names); i++ {
				holds = sp.steps[i].match(names[i])
			}
			return holds, nil, fmt.Sprintf("Expected the exact tool sequence %s; actual tools: %s", strings.Join(labels, ", "), called)
		}
		next := 0
		for _, n := range names {
			if next < len(sp.steps) && sp.steps[next].match(n) {
				next++
			}
		}
		if next == len(sp.steps) {
			return true, nil, fmt.Sprintf("Observed tool sequence in order: %s. Actual tools: %s", strings.Join(labels, ", "), called)
		}
		return false, nil, fmt.Sprintf("Expected tool %q was not called in order. Actual tools: %s", labels[next], called)
	case "trajectory:tool-args-match":
		var observed []string
		for _, c := range out.ToolCalls {
			if !sp.one.match(c.Name) {
				continue
			}
			var args any
			if json.Unmarshal([]byte(c.Arguments), &args) != nil {
				continue
			}
			observed = append(observed, compactJSON(c.Arguments))
			if sp.argsMatch(args) {
				return true, nil, fmt.Sprintf("Tool %q was called with arguments matching %s: %s", sp.one.label, jsonText(sp.args), compactJSON(c.Arguments))
			}
		}
		if len(observed) == 0 {
			return false, nil, fmt.Sprintf("No call to tool %q with JSON arguments. Actual tools: %s", sp.one.label, called)
		}
		mode := "exact"
		if sp.partial {
			mode = "partial"
		}
		return false, nil, fmt.Sprintf("No call to tool %q matched the expected arguments (%s) %s. Observed args: %s", sp.one.label, mode, jsonText(sp.args), strings.Join(observed, ", "))
	case "trajectory:step-count":
		n, what := 0, "model turn(s)"
		if len(sp.types) == 0 || slices.Contains(sp.types, "llm") {
			n += out.Turns
		}
		if slices.Contains(sp.types, "tool") {
			what = "step(s)"
			if len(sp.types) == 1 {
				what = "tool call(s)"
			}
			for _, name := range names {
				if sp.one.re == nil || sp.one.match(name) {
					n++
				}
			}
		}
		holds = (sp.min == nil || float64(n) >= *sp.min) && (sp.max == nil || float64(n) <= *sp.max)
		return holds, nil, fmt.Sprintf("Counted %d %s (expected %s)", n, what, rangeText(sp.min, sp.max))
	}
	return false, nil, "unknown tool assertion " + a.Type
}

// argsMatch compares a call's arguments with the expected ones, after
// dropping ignored keys (on both sides) and arguments equal to their default.
func (sp *toolSpec) argsMatch(actual any) bool {
	want := sp.args
	if len(sp.ignore) > 0 {
		actual, want = sp.dropIgnored(actual), sp.dropIgnored(want)
	}
	if obj, ok := actual.(map[string]any); ok && len(sp.defaults) > 0 {
		kept := map[string]any{}
		for k, v := range obj {
			if d, has := sp.defaults[k]; !has || !reflect.DeepEqual(d, v) {
				kept[k] = v
			}
		}
		actual = kept
	}
	if sp.partial {
		return partialMatch(actual, want)
	}
	return reflect.DeepEqual(actual, want)
}

func (sp *toolSpec) dropIgnored(v any) any {
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	kept := map[string]any{}
	for k, x := range obj {
		if !slices.ContainsFunc(sp.ignore, func(m matcher) bool { return m.match(k) }) {
			kept[k] = x
		}
	}
	return kept
}

// partialMatch is promptfoo's partial mode: every expected key is present
// with a matching value; lists match item by item at equal length.
func partialMatch(actual, want any) bool {
	switch w := want.(type) {
	case []any:
		a, ok := actual.([]any)
		if !ok || len(a) != len(w) {
			return false
		}
		for i := range w {
			if !partialMatch(a[i], w[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		a, ok := actual.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			av, has := a[k]
			if !has || !partialMatch(av, wv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(actual, want)
}

// validToolCalls is is-valid-openai-tools-call: at least one call, each
// naming an offered tool, with JSON arguments that fit the tool's schema.
func validToolCalls(out Output) (bool, *float64, string) {
	if len(out.ToolCalls) == 0 {
		return false, nil, "Expected the model to call a tool; it made no tool call"
	}
	offered := map[string]llm.Tool{}
	for _, t := range out.Tools {
		offered[t.Name] = t
	}
	for _, c := range out.ToolCalls {
		t, ok := offered[c.Name]
		if !ok {
			return false, nil, fmt.Sprintf("Called %q, but there is no offered tool with that name (offered: %s)", c.Name, strings.Join(slices.Sorted(maps(offered)), ", "))
		}
		if !json.Valid([]byte(c.Arguments)) {
			return false, nil, fmt.Sprintf("Call to %q has arguments that are not JSON: %s", c.Name, quoteClipped(c.Arguments, maxShownOutput))
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(t.Parameters))
		if err != nil {
			return false, nil, fmt.Sprintf("Tool %q has an invalid schema: %v", c.Name, err)
		}
		sch, err := schema.Compile("tool.json", doc)
		if err != nil {
			return false, nil, fmt.Sprintf("Tool %q has an invalid schema: %v", c.Name, err)
		}
		if prob := schema.Validate(sch, c.Arguments); prob != nil {
			return false, nil, fmt.Sprintf("Call to %q does not match its schema: %s", c.Name, prob)
		}
	}
	return true, nil, fmt.Sprintf("All %d tool call(s) name offered tools with valid arguments", len(out.ToolCalls))
}

func maps(m map[string]llm.Tool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func countMatches(names []string, m matcher) int {
	n := 0
	for _, name := range names {
		if m.match(name) {
			n++
		}
	}
	return n
}

func sortedSet(names []string) []string {
	out := slices.Sorted(slices.Values(names))
	out = slices.Compact(out)
	if len(out) == 0 {
		return []string{"(none)"}
	}
	return out
}

func rangeText(lo, hi *float64) string {
	switch {
	case lo != nil && hi != nil:
		return fmt.Sprintf("%g-%g", *lo, *hi)
	case lo != nil:
		return fmt.Sprintf("at least %g", *lo)
	case hi != nil:
		return fmt.Sprintf("at most %g", *hi)
	}
	return "any number"
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return clipN(b.String(), clipLimit)
}

// evaluateTool runs a tool assertion: negation flips the verdict, and the
// score is 1 or 0 except tool-call-f1's, which is the F1 either way.
func (a Assertion) evaluateTool(out Output) Result {
	holds, score, reason := a.checkTool(out)
	pass := holds != a.Negate
	r := Result{Type: a.Name(), Pass: pass, Score: boolScore(pass), Reason: reason}
	if score != nil {
		r.Score = *score
	}
	if pass {
		r.Reason = "assertion passed: " + reason
	} else if a.Negate {
		r.Reason = "negated assertion failed: " + reason
	}
	if a.Weight == 0 {
		r.Pass = true
	}
	return r
}

// jsToolCalls is what a javascript assertion sees as context.toolCalls:
// every call of the tool loop in OpenAI's tool_calls shape.
func jsToolCalls(calls []llm.ToolCall) []any {
	out := make([]any, len(calls))
	for i, c := range calls {
		out[i] = map[string]any{"id": c.ID, "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
	}
	return out
}
