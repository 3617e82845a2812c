package check

import (
	"context"
	"fmt"
	"slices"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/suite"
)

// confirm samples again, at both sides, every case whose base and head
// results disagree (verdict.Plan), within gate.max_resample extra case runs
// as of base. Each confirmation sample has its own sample index, so it is
// cached apart and a rerun of the check answers it from the cache.
// Only re-evaluated suites are confirmed: the others are answered from the
// cache alone, and their prompts did not change.
func (r *runner) confirm(ctx context.Context, baseProj, headProj *project.Project, baseRep, headRep *eval.Report, reeval map[string]bool, budget int) (*verdict.Extra, error) {
	if o := r.o; o.Shard.Enabled() {
		// The merge of the shards sees every flip and confirms them once.
		return &verdict.Extra{Budget: budget, NotDrawn: "one shard of a check draws no confirmation sample; the merged check does"}, nil
	}
	plan := verdict.Plan(only(baseRep, reeval), only(headRep, reeval), budget)
	extra := &verdict.Extra{PerCase: plan.PerCase, Flipped: plan.Flipped, Budget: plan.Budget}
	switch {
	case plan.Flipped == 0:
		return extra, nil
	case plan.PerCase == 0:
		extra.NotDrawn = fmt.Sprintf("gate.max_resample (%d) does not cover one sample per side for each of the %d flipped cases", plan.Budget, plan.Flipped)
		return extra, nil
	}
	mode := llm.CacheReadWrite
	if !r.live {
		mode = llm.CacheOffline
	}
	var err error
	if extra.Base, err = r.resample(ctx, baseProj, plan.Base, plan.PerCase, mode, "base (confirmation)", extra); err != nil {
		return nil, err
	}
	if extra.Head, err = r.resample(ctx, headProj, plan.Head, plan.PerCase, mode, "head (confirmation)", extra); err != nil {
		return nil, err
	}
	if !r.live && extra.Calls == 0 && skippedAll(extra) {
		extra.NotDrawn = "no model calls could be made and the cache holds no confirmation sample"
	}
	return extra, nil
}

// resample runs one side's part of the plan: per suite, only the flipped
// cases, perCase times each from the plan's first sample index on.
func (r *runner) resample(ctx context.Context, proj *project.Project, plan verdict.SidePlan, perCase int, mode llm.CacheMode, label string, extra *verdict.Extra) (*eval.Report, error) {
	out := &eval.Report{}
	if proj == nil || len(plan) == 0 {
		return out, nil
	}
	byFirst := map[int][]*suite.Suite{}
	for _, s := range proj.Suites {
		cs, ok := plan[verdict.SuiteID{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant}]
		if !ok {
			continue
		}
		sub := *s
		sub.Repeat = perCase
		sub.Tests = nil
		for _, c := range s.Tests {
			if slices.Contains(cs.Cases, c.Index) {
				sub.Tests = append(sub.Tests, c)
			}
		}
		byFirst[cs.First] = append(byFirst[cs.First], &sub)
	}
	client, err := r.client(proj.Config, mode)
	if err != nil {
		return nil, err
	}
	firsts := make([]int, 0, len(byFirst))
	for f := range byFirst {
		firsts = append(firsts, f)
	}
	slices.Sort(firsts)
	for _, first := range firsts {
		suites := byFirst[first]
		if r.o.Progress != nil {
			fmt.Fprintf(r.o.Progress, "confirming %s: %d case runs of flipped cases (%s)\n", label, eval.Total(suites), mode)
		}
		er := &eval.Runner{Prompts: proj.Prompts, Client: client, Concurrency: r.concurrency(proj.Config),
			DefaultModel: proj.Config.Defaults.Model, JudgeModel: proj.Config.Defaults.JudgeModel, Logger: r.o.Logger,
			Observer: r.o.Observer, FirstSample: first}
		rep, err := er.Run(eval.WithSide(ctx, label), suites)
		if err != nil && !diag.IsInput(err) {
			return nil, fmt.Errorf("confirm %s: %w", label, err)
		}
		if rep == nil {
			continue
		}
		out.Suites = append(out.Suites, rep.Suites...)
		extra.Calls += rep.Calls
		extra.Runs += eval.Total(suites)
	}
	return out, nil
}

// skippedAll reports whether every confirmation run was skipped.
func skippedAll(e *verdict.Extra) bool {
	for _, rep := range []*eval.Report{e.Base, e.Head} {
		if rep == nil {
			continue
		}
		for _, s := range rep.Suites {
			if s.Graded() > 0 || s.Errored > 0 {
				return false
			}
		}
	}
	return true
}

// only keeps the suites of rep whose prompt key is in keys.
func only(rep *eval.Report, keys map[string]bool) *eval.Report {
	if rep == nil {
		return nil
	}
	out := &eval.Report{}
	for _, s := range rep.Suites {
		if s != nil && keys[verdict.PromptKey(s.Prompt, s.Variant)] {
			out.Suites = append(out.Suites, s)
		}
	}
	return out
}
