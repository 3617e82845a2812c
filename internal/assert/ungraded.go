package assert

import (
	"fmt"
	"slices"
	"strings"
)

// PromptfooTypes are promptfoo's assertion types (BaseAssertionTypesSchema and
// its special types, each also usable with "not-"), whether promptgate grades
// them or not. A promptfoo config may name any of them: the ones promptgate
// does not grade are carried as not graded (NotGraded) instead of refusing
// the whole config; a name outside this list is a typo.
var PromptfooTypes = []string{
	"answer-relevance", "assert-set", "bleu", "classifier", "contains", "contains-all", "contains-any",
	"contains-html", "contains-json", "contains-sql", "contains-xml", "context-faithfulness",
	"context-recall", "context-relevance", "conversation-relevance", "cost", "equals", "factuality",
	"finish-reason", "g-eval", "gleu", "guardrails", "human", "icontains", "icontains-all",
	"icontains-any", "is-html", "is-json", "is-refusal", "is-sql", "is-valid-function-call",
	"is-valid-openai-function-call", "is-valid-openai-tools-call", "is-xml", "javascript", "latency",
	"levenshtein", "llm-rubric", "max-score", "meteor", "model-graded-closedqa",
	"model-graded-factuality", "moderation", "perplexity", "perplexity-score", "pi", "python",
	"regex", "rouge-n", "ruby", "search-rubric", "select-best", "similar", "similar:cosine",
	"similar:dot", "similar:euclidean", "skill-used", "starts-with", "tool-call-f1",
	"trace-error-spans", "trace-span-count", "trace-span-duration", "trajectory:goal-success",
	"trajectory:step-count", "trajectory:tool-args-match", "trajectory:tool-sequence",
	"trajectory:tool-used", "webhook", "word-count",
}

// Ungradable reports whether typ (with or without "not-") is a promptfoo
// assertion type that promptgate does not grade.
func Ungradable(typ string) bool {
	base := strings.TrimPrefix(typ, "not-")
	return slices.Contains(PromptfooTypes, base) && !slices.Contains(Types, base) && !slices.Contains(ToolTypes, base)
}

// KnownTypes are every type a promptfoo config may name: promptfoo's, and
// promptgate's own (json-schema), each also with "not-".
func KnownTypes() []string {
	known := slices.Clone(PromptfooTypes)
	for _, t := range append(slices.Clone(Types), ToolTypes...) {
		if !slices.Contains(known, t) {
			known = append(known, t)
		}
	}
	return known
}

// NotGraded is an assertion of a promptfoo type promptgate does not grade,
// kept so that every run reports it as not graded rather than dropping it:
// it neither passes nor fails, and takes no part in the test's score.
func NotGraded(file string, line int, typ string) Assertion {
	a := Assertion{Weight: 1, File: file, Line: line, ungraded: true}
	a.Type, a.Negate = strings.CutPrefix(typ, "not-")
	return a
}

// Graded reports whether promptgate grades the assertion (false for a
// NotGraded one).
func (a Assertion) Graded() bool { return !a.ungraded }

// Where names the assertion for people: its type and file:line.
func (a Assertion) Where() string {
	return fmt.Sprintf("%s (%s:%d)", a.Name(), a.File, a.Line)
}

// UnknownTypeHint is the did-you-mean for a type that is not even
// promptfoo's, against every promptfoo type.
func UnknownTypeHint(typ string) string {
	return didYouMean(strings.TrimPrefix(typ, "not-"), KnownTypes())
}
