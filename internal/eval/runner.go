// Package eval runs eval suites: it renders each case's prompt, calls the model
// through an llm.Completer at a fixed concurrency, grades the output with the
// suite's assertions, and aggregates pass rates, tokens, latency and cost.
package eval

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/shard"
	"github.com/promptgate/promptgate/internal/suite"
)

// Runner evaluates suites. Fields left zero get sensible defaults. A Runner
// may be used for several Runs, one after another or at once.
type Runner struct {
	Prompts *prompt.Set
	Client  llm.Completer
	Prices  *cost.Table
	// Concurrency is the number of cases in flight at once (default 8). The
	// client's per-provider limits still apply underneath.
	Concurrency int
	// DefaultModel serves prompts whose front matter names no model.
	DefaultModel string
	// Model, when set, replaces every prompt's model: the what-if run of a
	// candidate model (eval --candidates).
	Model string
	// JudgeModel grades llm-rubric assertions unless the suite or assertion names one.
	JudgeModel string
	// Progress, when set, is called after every finished case run.
	Progress func(done, total int)
	// Trace, when set, receives one record per model call.
	Trace *TraceWriter
	// Shard, when enabled, runs only this part's case runs; see package shard.
	Shard shard.Shard
	// FirstSample numbers the first run of each case (0 unless set): a
	// check's confirmation samples start past the up-front ones, so each is
	// a fresh sample, cached apart.
	FirstSample int
	// Observer, when set, sees every suite and model call (OpenTelemetry export).
	Observer Observer
	Logger   *slog.Logger
}

// counters count one Run's network calls and cache hits, llm-rubric judge
// calls included. They live per Run, so two Runs of one Runner never mix.
type counters struct {
	calls, hits atomic.Int64
	// regex is the matching time the Run's regex assertions share.
	regex *assert.RegexBudget
}

// job is one case run to perform.
type job struct {
	suite  int
	s      *suite.Suite
	p      *prompt.Prompt
	c      *suite.Case
	repeat int
	count  *counters
	// ctx parents the job's calls: the suite's context from the Observer.
	ctx context.Context
}

type done struct {
	suite int
	res   CaseResult
	call  *llm.Response
	err   error
}

// Check validates suites against the prompt set before any call: every suite's
// prompt exists, its vars match the prompt's input schema, and the prompt has a
// model. Problems come back as a diag.List naming file and line.
func Check(suites []*suite.Suite, set *prompt.Set, defaultModel string) error {
	var errs diag.List
	for _, s := range suites {
		if err := suite.Check(s, set); err != nil {
			errs = diag.Append(errs, err)
			continue
		}
		p, _ := set.Get(s.Prompt, s.Variant)
		if p.Model == "" && defaultModel == "" {
			errs = append(errs, diag.Errorf(p.Path, 1, "prompt %s has no model: set `model:` in its front matter or defaults.model in promptgate.yaml", s.Prompt))
		}
	}
	return errs.Err()
}

// Total is the number of case runs the suites make (cases × repeat).
func Total(suites []*suite.Suite) int { return TotalIn(suites, shard.Shard{}) }

// TotalIn is the number of case runs the suites make in one shard.
func TotalIn(suites []*suite.Suite, sh shard.Shard) int {
	n := 0
	for _, s := range suites {
		if !sh.Enabled() {
			n += len(s.Tests) * max(1, s.Repeat)
			continue
		}
		for ci := range s.Tests {
			for rep := range max(1, s.Repeat) {
				if sh.Has(s.Path, s.Tests[ci].Index, s.Tests[ci].Description, rep) {
					n++
				}
			}
		}
	}
	return n
}

// Run evaluates the suites, which must have passed Check. It returns the report
// and, separately, configuration problems discovered by calling the model (for
// example a model the endpoint does not know), which the CLI treats as bad input.
func (r *Runner) Run(ctx context.Context, suites []*suite.Suite) (*Report, error) {
	start := time.Now()
	conc := r.Concurrency
	if conc <= 0 {
		conc = 8
	}
	log := r.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	rep := &Report{Suites: make([]*SuiteResult, len(suites)), Shard: r.Shard.String()}
	for i, s := range suites {
		p, ok := r.Prompts.Get(s.Prompt, s.Variant)
		if !ok {
			return nil, diag.Errorf(s.Path, s.PromptLine, "prompt %q not found", s.Prompt)
		}
		rep.Suites[i] = &SuiteResult{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant, PromptPath: p.Path,
			PromptHash: p.Hash, Model: r.model(p), Description: s.Description, Threshold: s.Threshold,
			ThresholdLine: s.ThresholdLine, ModelLine: p.ModelLine,
			Cases: make([]CaseResult, 0, len(s.Tests)*max(1, s.Repeat))}
	}

	count := &counters{regex: assert.NewRegexBudget(assert.DefaultRegexBudget)}
	jobs := make(chan job)
	results := make(chan done, conc)
	// suiteCtx[i] is written before suite i's first job is sent and read only
	// after one of its results arrives, so the channels order the accesses.
	suiteCtx := make([]context.Context, len(suites))
	remaining := make([]int, len(suites))
	for i, s := range suites {
		remaining[i] = TotalIn([]*suite.Suite{s}, r.Shard)
	}
	go func() {
		defer close(jobs)
		for i, s := range suites {
			p, _ := r.Prompts.Get(s.Prompt, s.Variant)
			suiteCtx[i] = ctx
			if r.Observer != nil {
				suiteCtx[i] = r.Observer.SuiteStarted(ctx, rep.Suites[i])
			}
			for ci := range s.Tests {
				for rp := 0; rp < max(1, s.Repeat); rp++ {
					if !r.Shard.Has(s.Path, s.Tests[ci].Index, s.Tests[ci].Description, rp) {
						continue
					}
					select {
					case jobs <- job{suite: i, s: s, p: p, c: &s.Tests[ci], repeat: r.FirstSample + rp, count: count, ctx: suiteCtx[i]}:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- r.runCase(ctx, j)
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()

	total := TotalIn(suites, r.Shard)
	n := 0
	unpriced := map[string]bool{}
	modelErrs := map[string]*diag.Error{}
	for d := range results {
		sr := rep.Suites[d.suite]
		sr.Cases = append(sr.Cases, d.res)
		if d.call != nil {
			if !d.res.CostKnown {
				unpriced[sr.Model] = true
			}
		}
		if d.err != nil {
			if de := modelNotFound(d.err, suites[d.suite], r.Prompts); de != nil {
				modelErrs[de.Error()] = de
			}
		}
		n++
		if remaining[d.suite]--; remaining[d.suite] == 0 {
			r.finishSuite(suiteCtx[d.suite], sr)
		}
		if r.Progress != nil {
			r.Progress(n, total)
		}
	}
	for i, s := range rep.Suites {
		if remaining[i] != 0 || len(s.Cases) == 0 {
			// interrupted, or a suite without cases: no last result finished it
			r.finishSuite(suiteCtx[i], s)
		}
	}
	for _, m := range sortedSet(unpriced) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("model %q is not in the price table: its cost shows as unknown (add it under `pricing:` in promptgate.yaml)", m))
	}
	rep.Calls, rep.CacheHits = int(count.calls.Load()), int(count.hits.Load())
	rep.Duration = time.Since(start)
	log.Debug("eval finished", "runs", n, "network_calls", rep.Calls, "cache_hits", rep.CacheHits, "duration", rep.Duration)
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("eval interrupted: %w", err)
	}
	if len(modelErrs) > 0 {
		var l diag.List
		for _, k := range slices.Sorted(maps.Keys(modelErrs)) {
			l = append(l, modelErrs[k])
		}
		return rep, l
	}
	return rep, nil
}

// finishSuite computes a suite's figures and tells the Observer it is done.
func (r *Runner) finishSuite(ctx context.Context, s *SuiteResult) {
	s.finish()
	if r.Observer != nil && ctx != nil {
		r.Observer.SuiteFinished(ctx, s)
	}
}

func (r *Runner) model(p *prompt.Prompt) string {
	if r.Model != "" {
		return r.Model
	}
	if p.Model != "" {
		return p.Model
	}
	return r.DefaultModel
}

// runCase renders, calls (through the tool loop) and grades one case run.
func (r *Runner) runCase(ctx context.Context, j job) (d done) {
	res := CaseResult{Index: j.c.Index, Repeat: j.repeat, Description: j.c.Description, Line: j.c.Line, Vars: j.c.Vars}
	msgs, err := r.Prompts.RenderConversation(j.p, j.c.Vars, j.c.Messages)
	if err != nil {
		res.Status, res.Error = StatusError, "render: "+err.Error()
		return done{suite: j.suite, res: res, err: err}
	}
	params := j.p.Params
	params.Sample = j.repeat // each repeat is a fresh sample, cached apart
	req := llm.Request{Model: r.model(j.p), Messages: msgs, Params: params}
	cv, err := r.converse(ctx, j, req)
	defer func() {
		for _, o := range cv.observed {
			r.observe(j.ctx, o.rec, o.resp, o.err, o.start, d.res.Status)
		}
	}()
	res.ToolCalls, res.Turns = cv.calls, cv.turns
	if err != nil {
		res.Status, res.Error = StatusError, err.Error()
		if unavailable(err) {
			res.Status = StatusSkipped
			res.EstimatedInputTokens = EstimateInputTokens(cv.messages)
		}
		res.Retries = cv.sum.Retries
		return done{suite: j.suite, res: res, err: err}
	}
	text := cv.outputText()
	res.Output = truncate(text, maxOutputBytes)
	res.InputTokens, res.OutputTokens = cv.sum.Usage.InputTokens, cv.sum.Usage.OutputTokens
	res.Latency, res.CacheHit, res.Retries = cv.sum.Latency, cv.sum.CacheHit, cv.sum.Retries
	res.CostUSD, res.CostKnown = cv.cost.CostUSD, cv.cost.CostKnown
	final := cv.final
	if cv.ended == "" {
		// The answer must fit output.schema before anything else is graded.
		if prob := j.p.CheckOutput(text); prob != nil {
			res.Status, res.Reason = StatusFail, "output.schema: "+prob.String()
			return done{suite: j.suite, res: res, call: &final}
		}
	}

	judgeModel := cmp.Or(j.s.Judge, r.JudgeModel)
	env := assert.Env{Judge: &tracingJudge{r: r, j: j}, JudgeModel: judgeModel, Regex: j.count.regex}
	out := assert.Output{Text: text, CostUSD: res.CostUSD, CostKnown: res.CostKnown, Latency: res.Latency, Vars: j.c.Vars,
		Prompt: promptText(msgs), ToolCalls: cv.llmCalls(), Tools: params.Tools, Turns: cv.turns}
	grade, err := assert.Evaluate(ctx, j.c.Asserts, j.c.Threshold, out, env)
	if err != nil {
		// The model answered: its tokens and cost stay counted.
		res.Status, res.Error, res.Answered = StatusError, "grade: "+err.Error(), true
		return done{suite: j.suite, res: res, call: &final}
	}
	res.Score, res.Reason, res.NotGraded = grade.Score, grade.Reason, grade.Ungraded
	switch {
	case grade.NotGraded:
		res.Status = StatusNotGraded
	case grade.Pass:
		res.Status = StatusPass
	default:
		res.Status = StatusFail
	}
	return done{suite: j.suite, res: res, call: &final}
}

// priced is the cost of one call.
type priced struct {
	CostUSD   float64
	CostKnown bool
}

// record prices a call and writes its trace line. It returns the trace record
// too, for the Observer.
func (r *Runner) record(j job, req llm.Request, resp llm.Response, err error, role string, turn int) (priced, TraceRecord) {
	var pc priced
	if err == nil && resp.CacheHit {
		j.count.hits.Add(1)
	} else if err == nil || !unavailable(err) {
		j.count.calls.Add(1)
	}
	if err == nil && r.Prices != nil {
		if p, ok := r.Prices.Lookup(req.Model); ok {
			pc = priced{CostUSD: p.CallCost(resp.Usage.InputTokens, resp.Usage.OutputTokens), CostKnown: true}
		}
	}
	var rec TraceRecord
	if r.Trace != nil || r.Observer != nil {
		rec = newTraceRecord(j, req, resp, err, pc, role)
		rec.Turn = turn
	}
	if r.Trace != nil {
		r.Trace.Write(rec)
	}
	return pc, rec
}

// tracingJudge sends llm-rubric judge calls through the runner's client so they
// are retried, cached and traced like any other call.
type tracingJudge struct {
	r *Runner
	j job
}

func (t *tracingJudge) Complete(ctx context.Context, req llm.Request) (llm.Response, error) {
	start := time.Now()
	resp, err := t.r.Client.Complete(ctx, req)
	_, rec := t.r.record(t.j, req, resp, err, "judge", 0)
	t.r.observe(t.j.ctx, rec, resp, err, start, "")
	return resp, err
}

// unavailable reports whether a call could not be made here at all (no recorded
// response offline, no API key, a key the endpoint refused, or a provider the
// change under check added, a call past the check's gate.max_calls budget), as
// opposed to failing at the endpoint: a key
// problem is the user's setup, not the model's error, and is reported once as
// such.
func unavailable(err error) bool {
	var ce *llm.CallError
	return errors.As(err, &ce) && (ce.Kind == llm.CacheMiss || ce.Kind == llm.NoAPIKey || ce.Kind == llm.Auth || ce.Kind == llm.Untrusted || ce.Kind == llm.OverBudget)
}

// modelNotFound turns an endpoint's 404 for a model into a config error at the
// prompt's model line: the model name is wrong, and retrying cannot help.
func modelNotFound(err error, s *suite.Suite, set *prompt.Set) *diag.Error {
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Status != 404 {
		return nil
	}
	p, ok := set.Get(s.Prompt, s.Variant)
	if !ok {
		return nil
	}
	line := p.ModelLine
	if line == 0 {
		line = 1
	}
	return diag.Errorf(p.Path, line, "model %q is unknown to provider %s (the endpoint answered 404): check the model name", ce.Model, ce.Provider)
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// promptText is the rendered prompt as promptfoo shows it to a javascript
// assertion (context.prompt): a lone message's text, else the messages as
// JSON.
func promptText(msgs []llm.Message) string {
	if len(msgs) == 1 {
		return msgs[0].Content
	}
	raw, err := json.Marshal(msgs)
	if err != nil {
		return ""
	}
	return string(raw)
}
