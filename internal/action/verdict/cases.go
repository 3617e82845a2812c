package verdict

import (
	"github.com/promptgate/promptgate/internal/eval"
)

// compareCases fills the newly failing, newly passing and newly erroring runs of
// a suite. Runs match by eval.CaseKey; a run left unmatched (a case was inserted
// above it, shifting its index) then matches by description and repeat when that
// pair is unique on both sides. A case that exists only at head has no base to
// regress from, so it appears in none of the lists; the threshold gate covers it.
func compareCases(p *PromptDiff) {
	if p.Base == nil || p.Head == nil {
		return
	}
	base := make(map[eval.CaseKey]*eval.CaseResult, len(p.Base.Cases))
	type loose struct {
		desc   string
		repeat int
	}
	baseLoose := map[loose][]*eval.CaseResult{}
	for i := range p.Base.Cases {
		c := &p.Base.Cases[i]
		base[c.Key()] = c
		baseLoose[loose{c.Description, c.Repeat}] = append(baseLoose[loose{c.Description, c.Repeat}], c)
	}
	headLoose := map[loose]int{}
	for _, c := range p.Head.Cases {
		headLoose[loose{c.Description, c.Repeat}]++
	}
	used := map[*eval.CaseResult]bool{}
	var unmatched []int
	pairs := make([]*eval.CaseResult, len(p.Head.Cases))
	for i, c := range p.Head.Cases {
		if b, ok := base[c.Key()]; ok {
			pairs[i], used[b] = b, true
		} else {
			unmatched = append(unmatched, i)
		}
	}
	for _, i := range unmatched {
		c := p.Head.Cases[i]
		k := loose{c.Description, c.Repeat}
		if c.Description == "" || headLoose[k] != 1 || len(baseLoose[k]) != 1 || used[baseLoose[k][0]] {
			continue
		}
		pairs[i], used[baseLoose[k][0]] = baseLoose[k][0], true
	}
	for i, h := range p.Head.Cases {
		b := pairs[i]
		if b == nil {
			continue
		}
		switch {
		case b.Status == eval.StatusPass && h.Status == eval.StatusFail:
			p.NewlyFailing = append(p.NewlyFailing, change(p, *b, h))
		case b.Status == eval.StatusFail && h.Status == eval.StatusPass:
			p.NewlyPassing = append(p.NewlyPassing, change(p, *b, h))
		case b.Status != eval.StatusError && h.Status == eval.StatusError:
			p.NewErrors = append(p.NewErrors, change(p, *b, h))
		}
	}
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
