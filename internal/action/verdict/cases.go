package verdict

import (
	"slices"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/stats"
)

// caseRuns is one case's runs at one side: the up-front samples (repeat:
// N gives N) and the confirmation samples drawn after them.
type caseRuns struct {
	Index       int
	Description string
	Runs        []eval.CaseResult
}

// counts returns the graded runs and the passing ones among them.
func counts(runs []eval.CaseResult) (pass, graded int) {
	for _, r := range runs {
		switch r.Status {
		case eval.StatusPass:
			pass++
			graded++
		case eval.StatusFail:
			graded++
		}
	}
	return pass, graded
}

// casePair is one case present at both sides.
type casePair struct {
	Base, Head *caseRuns
}

// groupCases gathers a suite's runs per case, in case order.
func groupCases(s *eval.SuiteResult) []*caseRuns {
	if s == nil {
		return nil
	}
	var out []*caseRuns
	at := map[eval.CaseKey]*caseRuns{}
	for _, c := range s.Cases {
		k := eval.CaseKey{Index: c.Index, Description: c.Description}
		g, ok := at[k]
		if !ok {
			g = &caseRuns{Index: c.Index, Description: c.Description}
			at[k] = g
			out = append(out, g)
		}
		g.Runs = append(g.Runs, c)
	}
	return out
}

// pairCases matches a suite's cases across sides by index and description; a
// case left unmatched (a case was inserted above it, shifting its index) then
// matches by description when that is unique on both sides. A case that exists
// only at head has no base to regress from, so it is in no pair; the
// threshold gate covers it.
func pairCases(base, head *eval.SuiteResult) []casePair {
	if base == nil || head == nil {
		return nil
	}
	bs, hs := groupCases(base), groupCases(head)
	byKey := map[eval.CaseKey]*caseRuns{}
	byDesc := map[string][]*caseRuns{}
	for _, b := range bs {
		byKey[eval.CaseKey{Index: b.Index, Description: b.Description}] = b
		byDesc[b.Description] = append(byDesc[b.Description], b)
	}
	headDesc := map[string]int{}
	for _, h := range hs {
		headDesc[h.Description]++
	}
	used := map[*caseRuns]bool{}
	pairs := make([]casePair, len(hs))
	var unmatched []int
	for i, h := range hs {
		pairs[i].Head = h
		if b, ok := byKey[eval.CaseKey{Index: h.Index, Description: h.Description}]; ok {
			pairs[i].Base, used[b] = b, true
		} else {
			unmatched = append(unmatched, i)
		}
	}
	for _, i := range unmatched {
		h := hs[i]
		cand := byDesc[h.Description]
		if h.Description == "" || headDesc[h.Description] != 1 || len(cand) != 1 || used[cand[0]] {
			continue
		}
		pairs[i].Base, used[cand[0]] = cand[0], true
	}
	out := pairs[:0]
	for _, p := range pairs {
		if p.Base != nil {
			out = append(out, p)
		}
	}
	return out
}

// flipped reports whether a case's up-front pass fractions differ between
// the sides, which is when it is sampled again. The rule reads the same
// whichever side is called base, which keeps the suite test fair (see
// docs/verdicts.md).
func (p casePair) flipped() bool {
	bp, bn := counts(p.Base.Runs)
	hp, hn := counts(p.Head.Runs)
	return bn > 0 && hn > 0 && bp*hn != hp*bn
}

// compareCases fills a suite's newly erroring runs, and collects the cases
// whose base and head results disagree for classify, with their
// confirmation samples.
func compareCases(p *PromptDiff, extra *Extra) {
	for _, pair := range pairCases(p.Base, p.Head) {
		baseByRepeat := map[int]eval.CaseResult{}
		for _, r := range pair.Base.Runs {
			baseByRepeat[r.Repeat] = r
		}
		for _, h := range pair.Head.Runs {
			if b, ok := baseByRepeat[h.Repeat]; ok && b.Status != eval.StatusError && h.Status == eval.StatusError {
				p.NewErrors = append(p.NewErrors, change(p, b, h))
			}
		}
		bp, bn := counts(pair.Base.Runs)
		hp, hn := counts(pair.Head.Runs)
		up := stats.Case{BasePass: bp, BaseN: bn, HeadPass: hp, HeadN: hn}
		p.upFront = append(p.upFront, up)
		if !pair.flipped() {
			p.allSamples = append(p.allSamples, up)
			continue
		}
		eb := extra.runs(false, p.Base, pair.Base)
		eh := extra.runs(true, p.Head, pair.Head)
		abp, abn := counts(append(slices.Clone(pair.Base.Runs), eb...))
		ahp, ahn := counts(append(slices.Clone(pair.Head.Runs), eh...))
		p.allSamples = append(p.allSamples, stats.Case{BasePass: abp, BaseN: abn, HeadPass: ahp, HeadN: ahn})
		c := flipChange(p, pair, hp*bn < bp*hn)
		c.UpFront = Samples{BasePassed: bp, Base: bn, HeadPassed: hp, Head: hn}
		ebp, ebn := counts(eb)
		ehp, ehn := counts(eh)
		c.Confirm = Samples{BasePassed: ebp, Base: ebn, HeadPassed: ehp, Head: ehn}
		p.flips = append(p.flips, c)
	}
}

// flipChange describes a flipped case with one representative run per side:
// for a case that got worse, a passing base run and a failing head run.
func flipChange(p *PromptDiff, pair casePair, worse bool) CaseChange {
	pick := func(runs []eval.CaseResult, want eval.Status) eval.CaseResult {
		for _, r := range runs {
			if r.Status == want {
				return r
			}
		}
		return runs[0]
	}
	bWant, hWant := eval.StatusPass, eval.StatusFail
	if !worse {
		bWant, hWant = hWant, bWant
	}
	c := change(p, pick(pair.Base.Runs, bWant), pick(pair.Head.Runs, hWant))
	c.Worse = worse
	return c
}

func change(p *PromptDiff, b, h eval.CaseResult) CaseChange {
	reason := h.Reason
	if h.Status == eval.StatusError {
		reason = h.Error
	}
	return CaseChange{
		Suite: p.Key, SuitePath: p.SuitePath, Line: h.Line, Description: h.Description,
		Repeat: h.Repeat, Vars: h.Vars, BaseOutput: b.Output, HeadOutput: h.Output,
		Reason: reason, BaseStatus: b.Status, HeadStatus: h.Status,
		BaseToolCalls: b.ToolCalls, HeadToolCalls: h.ToolCalls,
	}
}
