// Package verdicttest helps tests build a verdict.Input whose flipped cases
// were confirmed, as a check against a deterministic model confirms them.
package verdicttest

import (
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
)

// Confirm plans the confirmation of in's flips within budget extra case runs
// and answers it the way a deterministic model would: every confirmation
// sample of a case repeats that case's first up-front run at its side.
func Confirm(in *verdict.Input, budget int) {
	plan := verdict.Plan(in.Base.Report, in.Head.Report, budget)
	in.Extra = &verdict.Extra{Base: replay(in.Base.Report, plan.Base, plan.PerCase), Head: replay(in.Head.Report, plan.Head, plan.PerCase),
		PerCase: plan.PerCase, Flipped: plan.Flipped, Runs: plan.Calls(), Calls: plan.Calls(), Budget: plan.Budget}
}

func replay(rep *eval.Report, plan verdict.SidePlan, k int) *eval.Report {
	out := &eval.Report{}
	if rep == nil {
		return out
	}
	for _, s := range rep.Suites {
		cs, ok := plan[verdict.SuiteID{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant}]
		if !ok {
			continue
		}
		es := &eval.SuiteResult{Path: s.Path, Prompt: s.Prompt, Variant: s.Variant}
		for _, idx := range cs.Cases {
			for _, c := range s.Cases {
				if c.Index != idx || c.Repeat != 0 {
					continue
				}
				for j := range k {
					c.Repeat = cs.First + j
					es.Cases = append(es.Cases, c)
				}
			}
		}
		out.Suites = append(out.Suites, es)
	}
	return out
}
