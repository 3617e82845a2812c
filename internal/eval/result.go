package eval

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Status is the outcome of one case run.
type Status string

// A case passes or fails on its assertions; it errors when the model call (or the
// llm-rubric judge call) failed after retries. Errors are never counted as fails.
const (
	StatusPass  Status = "pass"
	StatusFail  Status = "fail"
	StatusError Status = "error"
	// StatusSkipped marks a run that could not be made here: offline with no
	// recorded response, or no API key. It is neither graded nor an error.
	StatusSkipped Status = "skipped"
	// StatusNotGraded marks a run whose every assertion is of a promptfoo
	// type promptgate does not grade: the model answered, but nothing says
	// whether it passes, so it is neither a pass nor a fail.
	StatusNotGraded Status = "not-graded"
)

// maxOutputBytes bounds the model output kept per case, so memory stays flat on
// large runs; the full text is in the --trace file and the response cache.
const maxOutputBytes = 4096

// Report is the result of one eval run over some suites.
type Report struct {
	Suites   []*SuiteResult `json:"suites"`
	Duration time.Duration  `json:"duration_ns"`
	// Calls is the number of model calls answered from the network (cache misses).
	Calls int `json:"network_calls"`
	// CacheHits counts calls answered from the response cache.
	CacheHits int `json:"cache_hits"`
	// Warnings are non-fatal problems, such as models missing from the price table.
	Warnings []string `json:"warnings,omitempty"`
	// Shard is "K/N" when the run was one part of a sharded run (its suites
	// then hold only that part's cases), empty for a whole run.
	Shard string `json:"shard,omitempty"`
	// Candidates is the cheaper-model what-if (eval --candidates); it never
	// changes the outcome.
	Candidates []Candidate `json:"candidates,omitempty"`
	// Owners roll projected cost up per prompt owner (metadata.owner or
	// CODEOWNERS); empty when no prompt has an owner.
	Owners []OwnerCost `json:"owners,omitempty"`
}

// SuiteResult aggregates one suite's case runs.
type SuiteResult struct {
	Path        string  `json:"path"`
	Prompt      string  `json:"prompt"`
	Variant     string  `json:"variant,omitempty"`
	PromptPath  string  `json:"prompt_path"`
	PromptHash  string  `json:"prompt_hash"`
	Model       string  `json:"model"`
	Description string  `json:"description,omitempty"`
	Threshold   float64 `json:"threshold"`
	// ThresholdLine and ModelLine locate the suite's `threshold:` and the
	// prompt's `model:` for annotations; 0 when the file sets none.
	ThresholdLine int `json:"threshold_line,omitempty"`
	ModelLine     int `json:"model_line,omitempty"`

	Cases []CaseResult `json:"cases"`

	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Errored int `json:"errored"`
	Skipped int `json:"skipped"`
	// NotGraded counts the runs with no assertion promptgate grades;
	// UngradedAssertions the assertion checks left ungraded over all runs
	// (a promptfoo type such as similar), graded runs included.
	NotGraded          int `json:"not_graded,omitempty"`
	UngradedAssertions int `json:"ungraded_assertions,omitempty"`

	MeanInputTokens  float64 `json:"mean_input_tokens"`
	MeanOutputTokens float64 `json:"mean_output_tokens"`
	// MeanEstimatedInputTokens is the mean of the skipped runs'
	// EstimatedInputTokens, 0 when no run was skipped. It stands in for
	// MeanInputTokens when nothing could be graded, and must be shown as an
	// estimate.
	MeanEstimatedInputTokens float64       `json:"mean_estimated_input_tokens,omitempty"`
	LatencyP50               time.Duration `json:"latency_p50_ns"`
	LatencyP95               time.Duration `json:"latency_p95_ns"`
	// CostUSD is the total cost of the suite's calls; CostKnown is false when any
	// call's model has no price, and then CostUSD must be shown as unknown.
	CostUSD   float64 `json:"cost_usd"`
	CostKnown bool    `json:"cost_known"`
}

// CaseResult is one run of one test case (a case with repeat: 3 has three).
type CaseResult struct {
	Index        int            `json:"index"`
	Repeat       int            `json:"repeat"`
	Description  string         `json:"description"`
	Line         int            `json:"line"`
	Status       Status         `json:"status"`
	Score        float64        `json:"score"`
	Reason       string         `json:"reason,omitempty"`
	Vars         map[string]any `json:"vars,omitempty"`
	Output       string         `json:"output,omitempty"`
	Error        string         `json:"error,omitempty"`
	InputTokens  int            `json:"input_tokens"`
	OutputTokens int            `json:"output_tokens"`
	// EstimatedInputTokens is set on skipped runs only: the input tokens the
	// call would have used, estimated from the rendered messages (see
	// EstimateInputTokens), since no endpoint reported any. It is an estimate,
	// never counted in InputTokens or the suite's means of graded runs.
	EstimatedInputTokens int           `json:"estimated_input_tokens,omitempty"`
	Latency              time.Duration `json:"latency_ns"`
	CostUSD              float64       `json:"cost_usd"`
	CostKnown            bool          `json:"cost_known"`
	CacheHit             bool          `json:"cache_hit"`
	Retries              int           `json:"retries"`
	// ToolCalls are the tool calls the model made over the tool loop, and
	// Turns the model calls the case took (its tokens, latency and cost are
	// the sums over them).
	ToolCalls []ToolCall `json:"tool_calls,omitempty"`
	Turns     int        `json:"turns,omitempty"`
	// NotGraded names the run's assertions promptgate does not grade, as
	// "type (file:line)".
	NotGraded []string `json:"not_graded,omitempty"`
	// Answered is set on an errored run whose model call succeeded (the
	// error came from grading): its tokens, latency and cost are real and
	// count in the suite's totals.
	Answered bool `json:"answered,omitempty"`
}

// Key identifies a case run across two evaluations of the same suite (base and head).
func (c CaseResult) Key() CaseKey {
	return CaseKey{Index: c.Index, Repeat: c.Repeat, Description: c.Description}
}

// CaseKey identifies a case run within a suite.
type CaseKey struct {
	Index       int
	Repeat      int
	Description string
}

// Graded is the number of runs that produced a pass or a fail.
func (s *SuiteResult) Graded() int { return s.Passed + s.Failed }

// PassRate is passed / graded runs, in [0,1]; errors are left out of both sides.
// It is 0 when nothing was graded.
func (s *SuiteResult) PassRate() float64 {
	if s.Graded() == 0 {
		return 0
	}
	return float64(s.Passed) / float64(s.Graded())
}

// MeetsThreshold reports whether the suite reached its required pass rate. A suite
// in which nothing could be graded does not.
func (s *SuiteResult) MeetsThreshold() bool {
	return s.Graded() > 0 && s.PassRate()+1e-9 >= s.Threshold
}

// CostPerRequest is the mean cost of one call, and whether it is known.
func (s *SuiteResult) CostPerRequest() (float64, bool) {
	n := s.answered()
	if n == 0 || !s.CostKnown {
		return 0, false
	}
	return s.CostUSD / float64(n), true
}

// answered is the number of runs whose model call succeeded: the runs
// CostUSD, the token means and the latencies are taken over.
func (s *SuiteResult) answered() int {
	n := 0
	for _, c := range s.Cases {
		if c.answered() {
			n++
		}
	}
	return n
}

// answered reports whether the run's model call succeeded.
func (c CaseResult) answered() bool {
	switch c.Status {
	case StatusPass, StatusFail, StatusNotGraded:
		return true
	case StatusError:
		return c.Answered
	}
	return false
}

// Skipped is the number of runs skipped across all suites.
func (r *Report) Skipped() int {
	n := 0
	for _, s := range r.Suites {
		n += s.Skipped
	}
	return n
}

// OK reports whether every suite met its threshold with no errored or skipped runs.
func (r *Report) OK() bool {
	for _, s := range r.Suites {
		if !s.MeetsThreshold() || s.Errored > 0 || s.Skipped > 0 {
			return false
		}
	}
	return true
}

// finish computes the aggregates from the case runs.
func (s *SuiteResult) finish() {
	slices.SortFunc(s.Cases, func(a, b CaseResult) int {
		if a.Index != b.Index {
			return a.Index - b.Index
		}
		return a.Repeat - b.Repeat
	})
	s.Passed, s.Failed, s.Errored, s.Skipped, s.NotGraded, s.UngradedAssertions = 0, 0, 0, 0, 0, 0
	var in, out, n, est int
	var lat []time.Duration
	s.CostUSD, s.CostKnown = 0, true
	for _, c := range s.Cases {
		s.UngradedAssertions += len(c.NotGraded)
		switch c.Status {
		case StatusPass:
			s.Passed++
		case StatusFail:
			s.Failed++
		case StatusNotGraded:
			s.NotGraded++
		case StatusError:
			s.Errored++
		case StatusSkipped:
			s.Skipped++
			est += c.EstimatedInputTokens
		}
		if !c.answered() {
			continue
		}
		n++
		in += c.InputTokens
		out += c.OutputTokens
		lat = append(lat, c.Latency)
		s.CostUSD += c.CostUSD
		if !c.CostKnown {
			s.CostKnown = false
		}
	}
	if n > 0 {
		s.MeanInputTokens = float64(in) / float64(n)
		s.MeanOutputTokens = float64(out) / float64(n)
	} else {
		s.CostKnown = false
	}
	s.MeanEstimatedInputTokens = 0
	if s.Skipped > 0 {
		s.MeanEstimatedInputTokens = float64(est) / float64(s.Skipped)
	}
	s.LatencyP50 = Percentile(lat, 50)
	s.LatencyP95 = Percentile(lat, 95)
}

// Percentile returns the p-th percentile (nearest rank) of ds, or 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.999999) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…[truncated]"
}

// NotGradedNote says what a suite left ungraded, for people: "2 assertion
// checks not graded (similar (promptfooconfig.yaml:43)); 1 case run with
// none graded", or "" when everything was graded.
func (s *SuiteResult) NotGradedNote() string {
	if s.UngradedAssertions == 0 && s.NotGraded == 0 {
		return ""
	}
	var which []string
	for _, c := range s.Cases {
		for _, w := range c.NotGraded {
			if !slices.Contains(which, w) {
				which = append(which, w)
			}
		}
	}
	note := fmt.Sprintf("%s not graded (%s): promptgate does not grade these promptfoo types",
		plural(s.UngradedAssertions, "assertion check"), strings.Join(which, ", "))
	if s.NotGraded > 0 {
		note += fmt.Sprintf("; %s with no graded assertion, counted as neither pass nor fail", plural(s.NotGraded, "case run"))
	}
	return note
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
