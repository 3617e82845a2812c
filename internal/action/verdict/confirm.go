package verdict

import (
	"slices"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/stats"
)

// MaxConfirmSamples is how many confirmation samples a flipped case gets at
// each side when gate.max_resample allows it: enough for Fisher's exact test
// to call an always-right case that always fails regressed (p = 1/184,756)
// within a per-check budget of 0.05 over dozens of flipped cases, and for the
// suite test to see a drift of a few points (docs/verdicts.md, power).
const MaxConfirmSamples = 10

// minConfirmSamples is the fewest confirmation samples per side with which
// Fisher's exact test can reach 0.05.
const minConfirmSamples = 3

// Case classes of a flipped case (CaseChange.Class).
const (
	// ClassRegressed: it reliably passes at base and fails at head.
	ClassRegressed = "regressed"
	// ClassImproved: it reliably fails at base and passes at head.
	ClassImproved = "improved"
	// ClassFlaky: the confirmation samples do not show a reliable change.
	ClassFlaky = "flaky"
	// ClassUnconfirmed: no confirmation sample could be drawn (offline
	// without recorded answers, a sharded check, or gate.max_resample).
	ClassUnconfirmed = "unconfirmed"
)

// SuiteID names a suite run the way both sides' reports do.
type SuiteID struct{ Path, Prompt, Variant string }

func idOf(s *eval.SuiteResult) SuiteID { return SuiteID{s.Path, s.Prompt, s.Variant} }

// SidePlan is what one side must sample again: per suite, the indices of
// the cases, from sample index First on (past the up-front samples, so
// each confirmation sample is cached apart from them and from each other).
type SidePlan map[SuiteID]CaseSamples

// CaseSamples is one suite's part of a plan.
type CaseSamples struct {
	Cases []int
	First int
}

// Resample is the confirmation a check makes after its first pass: every
// case whose base and head results disagree gets PerCase more samples at
// both sides.
type Resample struct {
	// Flipped counts the cases whose results disagree, over the whole check.
	Flipped int
	// PerCase is the samples each flipped case gets per side:
	// MaxConfirmSamples, or fewer so that the calls fit in the budget.
	PerCase    int
	Base, Head SidePlan
	// Budget is the most extra case runs allowed: gate.max_resample, or the
	// automatic budget.
	Budget int
}

// Calls is the number of case runs the plan makes.
func (r Resample) Calls() int { return 2 * r.Flipped * r.PerCase }

// Plan finds the flipped cases of a check's first pass and how many
// confirmation samples each gets within maxResample extra case runs
// (config.MaxResampleAuto: twice the first pass's case runs, at least
// config.MinAutoResample, and at least three samples a side per flipped
// case). The number depends only on how many cases
// flipped, never on which way, so the plan reads the same whichever side is
// called base.
func Plan(base, head *eval.Report, maxResample int) Resample {
	r := Resample{Base: SidePlan{}, Head: SidePlan{}}
	if base == nil || head == nil {
		return r
	}
	baseSuites := map[SuiteID]*eval.SuiteResult{}
	for _, s := range base.Suites {
		if s != nil {
			baseSuites[idOf(s)] = s
		}
	}
	for _, hs := range head.Suites {
		if hs == nil {
			continue
		}
		bs := baseSuites[idOf(hs)]
		for _, pair := range pairCases(bs, hs) {
			if !pair.flipped() {
				continue
			}
			r.Flipped++
			add(r.Base, idOf(bs), pair.Base.Index, firstSample(bs))
			add(r.Head, idOf(hs), pair.Head.Index, firstSample(hs))
		}
	}
	if maxResample < 0 {
		// Three samples a side is the fewest that can confirm a case (Fisher's
		// p = 1/20 for 3/3 against 0/3), so the automatic budget grants them
		// even when nearly every case flipped.
		maxResample = max(AutoResample(base, head), 2*minConfirmSamples*r.Flipped)
	}
	r.Budget = maxResample
	if r.Flipped > 0 {
		r.PerCase = min(MaxConfirmSamples, maxResample/(2*r.Flipped))
	}
	if r.PerCase == 0 {
		r.Base, r.Head = SidePlan{}, SidePlan{}
	}
	return r
}

// AutoResample is gate.max_resample's default for a first pass: twice its
// case runs at both sides, so a check costs at most three times one pass,
// and at least config.MinAutoResample, so a small suite can still confirm a
// broken case.
func AutoResample(base, head *eval.Report) int {
	n := 0
	for _, rep := range []*eval.Report{base, head} {
		if rep == nil {
			continue
		}
		for _, s := range rep.Suites {
			if s != nil {
				n += len(s.Cases)
			}
		}
	}
	return max(2*n, config.MinAutoResample)
}

func add(p SidePlan, id SuiteID, index, first int) {
	cs := p[id]
	cs.Cases, cs.First = append(cs.Cases, index), first
	p[id] = cs
}

// firstSample is the first sample index past a suite's up-front samples.
func firstSample(s *eval.SuiteResult) int {
	n := 0
	for _, c := range s.Cases {
		n = max(n, c.Repeat+1)
	}
	return n
}

// Extra are the confirmation samples a check drew for its Resample plan,
// as eval reports holding only those runs.
type Extra struct {
	Base, Head *eval.Report
	// Calls counts the model calls they took from the network (cache misses,
	// judge calls included); Runs the case runs.
	Calls, Runs int
	// PerCase and Flipped are the plan's.
	PerCase, Flipped int
	// Budget is the most extra case runs allowed (gate.max_resample as of
	// base, or AutoResample).
	Budget int
	// NotDrawn says why no confirmation sample was drawn ("" when they were).
	NotDrawn string
}

// runs returns the confirmation runs of a case at one side.
func (e *Extra) runs(head bool, s *eval.SuiteResult, c *caseRuns) []eval.CaseResult {
	if e == nil || s == nil {
		return nil
	}
	rep := e.Base
	if head {
		rep = e.Head
	}
	if rep == nil {
		return nil
	}
	var out []eval.CaseResult
	for _, es := range rep.Suites {
		if es == nil || idOf(es) != idOf(s) {
			continue
		}
		for _, r := range es.Cases {
			if r.Index == c.Index && r.Description == c.Description {
				out = append(out, r)
			}
		}
	}
	return out
}

// classify decides each flipped case of the check under one error budget:
// a case's confirmation samples (never the up-front ones that selected it)
// go through Fisher's exact test in the direction of its flip, and the
// Benjamini–Hochberg rule at alpha over all flipped cases of the check: when
// the change alters nothing, the chance of calling any flip regressed is at
// most alpha, and when it does, at most a share alpha of the cases named are
// noise. A big change that breaks many cases needs few samples each.
func classify(prompts []PromptDiff, alpha float64) {
	type ref struct{ p, i int }
	var refs []ref
	var ps []float64
	for pi := range prompts {
		for i, c := range prompts[pi].flips {
			s := c.Confirm
			p := stats.FisherGreater(s.BasePassed, s.Base, s.HeadPassed, s.Head)
			if !c.Worse {
				p = stats.FisherGreater(s.HeadPassed, s.Head, s.BasePassed, s.Base)
			}
			prompts[pi].flips[i].PValue = p
			refs = append(refs, ref{pi, i})
			ps = append(ps, p)
		}
	}
	reject := stats.BenjaminiHochberg(ps, alpha)
	for k, r := range refs {
		p := &prompts[r.p]
		c := p.flips[r.i]
		switch {
		case c.Confirm.Base == 0 || c.Confirm.Head == 0:
			c.Class = ClassUnconfirmed
		case reject[k] && c.Worse:
			c.Class = ClassRegressed
		case reject[k]:
			c.Class = ClassImproved
		default:
			c.Class = ClassFlaky
		}
		switch c.Class {
		case ClassRegressed:
			p.NewlyFailing = append(p.NewlyFailing, c)
		case ClassImproved:
			p.NewlyPassing = append(p.NewlyPassing, c)
		default:
			p.Flaky = append(p.Flaky, c)
		}
	}
	for i := range prompts {
		prompts[i].flips = nil
		slices.SortStableFunc(prompts[i].Flaky, func(a, b CaseChange) int {
			if a.Worse != b.Worse {
				if a.Worse {
					return -1
				}
				return 1
			}
			return 0
		})
	}
}

// confirmation sums up what confirming the flips cost; nil when none flipped.
func confirmation(prompts []PromptDiff, extra *Extra, rules *config.Config) *Confirmation {
	n := 0
	for _, p := range prompts {
		n += len(p.NewlyFailing) + len(p.NewlyPassing) + len(p.Flaky)
	}
	if n == 0 {
		return nil
	}
	c := &Confirmation{Flipped: n, Budget: rules.Gate.MaxResample}
	switch {
	case extra == nil:
		c.NotDrawn = "no confirmation samples were drawn"
	default:
		c.PerCase, c.Runs, c.Calls, c.NotDrawn, c.Budget = extra.PerCase, extra.Runs, extra.Calls, extra.NotDrawn, extra.Budget
	}
	return c
}
