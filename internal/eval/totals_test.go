package eval

import (
	"context"
	"net/http"
	"testing"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestErroredGradeKeepsTokensAndCost: a case whose model call succeeds and
// whose grading then fails (the judge endpoint refuses) is an error, yet the
// call's tokens and cost are real: the suite's totals, means and cost per
// request count it.
func TestErroredGradeKeepsTokensAndCost(t *testing.T) {
	t.Parallel()
	fake := newFakeChat(t, 0, func(_ int64, req chatReq) (int, http.Header, string) {
		if req.Model == "judge-model" {
			return 400, nil, `{"error":{"message":"judge refused","type":"invalid_request_error"}}`
		}
		return 200, nil, completion(req.Model, "word0 word1", 100, 10)
	})
	suiteYAML := "prompt: echo\nthreshold: 0.5\ntests:\n" +
		"  - description: graded\n    vars: {word: word0}\n    assert: [{type: contains, value: word0}]\n" +
		"  - description: judge fails\n    vars: {word: word1}\n    assert: [{type: llm-rubric, value: says word1, provider: judge-model}]\n"
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": suiteYAML})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 0, "", llm.CacheOff), Prices: cost.Builtin(), Concurrency: 2}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Suites[0]
	if s.Passed != 1 || s.Errored != 1 {
		t.Fatalf("passed %d errored %d, want 1 and 1", s.Passed, s.Errored)
	}
	if c := s.Cases[1]; !c.Answered || c.InputTokens != 100 || c.OutputTokens != 10 || !c.CostKnown {
		t.Errorf("errored case lost its call: %+v", c)
	}
	per := (100*0.4 + 10*1.6) / 1e6
	if !s.CostKnown || s.CostUSD < 2*per*0.999 || s.CostUSD > 2*per*1.001 {
		t.Errorf("suite cost %v (known %v), want both calls: %v", s.CostUSD, s.CostKnown, 2*per)
	}
	if s.MeanInputTokens != 100 || s.MeanOutputTokens != 10 {
		t.Errorf("mean tokens %v/%v, want 100/10", s.MeanInputTokens, s.MeanOutputTokens)
	}
	if got, ok := s.CostPerRequest(); !ok || got < per*0.999 || got > per*1.001 {
		t.Errorf("cost per request %v (%v), want %v", got, ok, per)
	}
}

// TestFailedCallCountsNothing: a run whose model call failed has no tokens
// or cost to keep, and leaves the suite's cost known.
func TestFailedCallCountsNothing(t *testing.T) {
	t.Parallel()
	s := &SuiteResult{Cases: []CaseResult{
		{Index: 0, Status: StatusPass, InputTokens: 10, OutputTokens: 2, CostUSD: 0.5, CostKnown: true},
		{Index: 1, Status: StatusError, Error: "call: 500"},
		{Index: 2, Status: StatusNotGraded, InputTokens: 30, OutputTokens: 4, CostUSD: 1.5, CostKnown: true, NotGraded: []string{"similar (c.yaml:3)"}},
	}}
	s.finish()
	if s.Errored != 1 || s.NotGraded != 1 || s.UngradedAssertions != 1 || s.Graded() != 1 {
		t.Errorf("counts: errored %d not graded %d ungraded %d graded %d", s.Errored, s.NotGraded, s.UngradedAssertions, s.Graded())
	}
	if !s.CostKnown || s.CostUSD != 2 || s.MeanInputTokens != 20 {
		t.Errorf("cost %v (%v), mean in %v; want 2, known, 20", s.CostUSD, s.CostKnown, s.MeanInputTokens)
	}
	if got, _ := s.CostPerRequest(); got != 1 {
		t.Errorf("cost per request %v, want 1", got)
	}
}
