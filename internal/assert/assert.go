// Package assert grades model outputs with promptfoo's assertion types and
// scoring: each assertion passes or fails with a score in [0, 1], a test's score
// is the weighted mean, and a test passes when every assertion passes or, when
// the test sets a threshold, when its score reaches it.
package assert

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/promptgate/promptgate/internal/diag"
)

// Types are the assertion types promptgate supports, each also usable with a
// "not-" prefix. The names and meanings are promptfoo's.
var Types = []string{
	"contains", "contains-all", "contains-any", "contains-json", "cost", "equals",
	"icontains", "icontains-all", "icontains-any", "is-json", "javascript", "json-schema",
	"latency", "levenshtein", "llm-rubric", "regex", "starts-with",
}

// DefaultLevenshteinThreshold is the maximum edit distance when a levenshtein
// assertion sets no threshold, as in promptfoo.
const DefaultLevenshteinThreshold = 5

// Assertion is one validated check on a model output.
type Assertion struct {
	// Type is the assertion type without any "not-" prefix; Negate is the prefix.
	Type   string
	Negate bool
	// Value is the expected value as written (string, list or schema object).
	Value any
	// Threshold is the type-specific limit (max distance, USD, ms, min score).
	Threshold *float64
	// Weight scales the assertion in the test's score (default 1).
	Weight float64
	// File and Line locate the assertion in its suite file.
	File string
	Line int
	// Provider overrides the judge model of an llm-rubric assertion.
	Provider string

	// compiled forms, built once by Compile and shared read-only.
	re      *regexp2.Regexp
	reErr   error // an invalid regex fails the assertion, as in promptfoo
	js      *goja.Program
	jsErr   error // a script that does not compile fails, as in promptfoo
	schema  *jsonschema.Schema
	strs    []string
	templed bool      // a string value holds {{var}} and is resolved per output
	tool    *toolSpec // a tool assertion's value, read once
	// ungraded marks a promptfoo type promptgate does not grade (NotGraded).
	ungraded bool
}

// Judged reports whether an LLM judge grades the assertion (llm-rubric and
// trajectory:goal-success): it needs a judge model, and its provider names one.
func (a Assertion) Judged() bool {
	return a.Type == "llm-rubric" || a.Type == "trajectory:goal-success"
}

// Name is the type as written, with its "not-" prefix when negated.
func (a Assertion) Name() string {
	if a.Negate {
		return "not-" + a.Type
	}
	return a.Type
}

// Spec is an assertion as written in a suite file, before validation.
type Spec struct {
	Type      string
	Value     any
	Threshold *float64
	Weight    *float64
	Provider  string
}

// Compile validates a Spec into an Assertion: the type must be known, the value
// must have the shape the type needs, and regexes and schemas are compiled
// here, once. Problems are *diag.Error at file:line.
func Compile(file string, line int, s Spec) (Assertion, error) {
	a := Assertion{Value: s.Value, Threshold: s.Threshold, Weight: 1, File: file, Line: line, Provider: s.Provider}
	a.Type, a.Negate = strings.CutPrefix(s.Type, "not-")
	errf := func(format string, args ...any) (Assertion, error) {
		return Assertion{}, diag.Errorf(file, line, "%s: %s", s.Type, fmt.Sprintf(format, args...))
	}
	if s.Type == "" {
		return Assertion{}, diag.Errorf(file, line, "assertion needs a type")
	}
	if slices.Contains(ToolTypes, a.Type) {
		sp, err := compileTool(a.Type, s.Value, s.Threshold)
		if err != nil {
			return errf("%v", err)
		}
		a.tool = sp
	} else if !slices.Contains(Types, a.Type) {
		return Assertion{}, diag.Errorf(file, line, "unknown assertion type %s%s", s.Type, didYouMean(a.Type, append(Types, ToolTypes...)))
	}
	if s.Weight != nil {
		if *s.Weight < 0 || math.IsNaN(*s.Weight) || math.IsInf(*s.Weight, 0) {
			return errf("weight must be a number ≥ 0")
		}
		a.Weight = *s.Weight
	}
	if t := s.Threshold; t != nil && (math.IsNaN(*t) || math.IsInf(*t, 0) || *t < 0) {
		return errf("threshold must be a number ≥ 0")
	}
	if s.Provider != "" && !a.Judged() {
		return errf("provider applies only to llm-rubric and trajectory:goal-success")
	}
	str, isStr := s.Value.(string)
	a.templed = isStr && strings.Contains(str, "{{")
	switch a.Type {
	case "contains", "icontains":
		if !isContainsValue(s.Value) {
			return errf("value must be a non-empty string or a number")
		}
	case "starts-with":
		if !isStr || str == "" {
			return errf("value must be a non-empty string")
		}
	case "contains-any", "contains-all", "icontains-any", "icontains-all":
		if a.templed {
			break // split after {{var}} substitution, as promptfoo renders first
		}
		strs, err := stringList(s.Value)
		if err != nil {
			return errf("%v", err)
		}
		a.strs = strs
	case "equals":
		if s.Value == nil {
			return errf("value is required")
		}
	case "regex":
		if !isStr || str == "" {
			return errf("value must be a regular expression string")
		}
		if !a.templed {
			a.re, a.reErr = compileJSRegex(str)
		}
	case "is-json", "contains-json", "json-schema":
		if s.Value == nil {
			if a.Type == "json-schema" {
				return errf("value must be a JSON Schema object")
			}
			break
		}
		sch, err := compileSchema(s.Value)
		if err != nil {
			return errf("value is not a valid JSON Schema: %v", err)
		}
		a.schema = sch
	case "javascript":
		if !isStr || strings.TrimSpace(str) == "" {
			return errf("value must be JavaScript code (an expression, or a function body that returns)")
		}
		if !a.templed {
			a.js, a.jsErr = compileJS(str)
		}
	case "levenshtein":
		if !isStr {
			return errf("value must be the expected string")
		}
	case "cost", "latency":
		if s.Threshold == nil {
			return errf("threshold is required (max %s)", map[string]string{"cost": "USD per call", "latency": "milliseconds"}[a.Type])
		}
	case "llm-rubric":
		if !isStr || strings.TrimSpace(str) == "" {
			return errf("value must be the rubric text")
		}
	}
	if isStr && strings.HasPrefix(str, "file://") {
		return errf("file:// values are not supported; put the value inline")
	}
	return a, nil
}

// isContainsValue is promptfoo's check on a contains value: a non-empty
// string or a number.
func isContainsValue(v any) bool {
	switch v := v.(type) {
	case string:
		return v != ""
	case int, int64, uint64:
		return true
	case float64:
		return !math.IsNaN(v)
	}
	return false
}

// stringList reads a list value: a string is split as CSV, as promptfoo does;
// list items are compared as JavaScript's String(item). An empty list is
// allowed (contains-all then passes and contains-any fails).
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return nil, fmt.Errorf("value must be a list of strings")
		}
		return parseCSVList(v)
	case []any:
		out := make([]string, len(v))
		for i, x := range v {
			out[i] = jsString(x)
		}
		return out, nil
	}
	return nil, fmt.Errorf("value must be a list of strings")
}

// didYouMean suggests the closest known word when it is a plausible typo.
func didYouMean(got string, known []string) string {
	best, bestDist := "", 4
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if d := levenshtein.ComputeDistance(strings.ToLower(got), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}
