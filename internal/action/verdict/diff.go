// Package verdict compares a base and a head evaluation of a pull request: per prompt
// it matches suites and cases, works out newly failing and newly passing cases,
// projects monthly cost from traffic and flag rollout shares, places the head
// projection against the budget, and decides which gates fired and the check's
// conclusion. It is pure: no I/O, so every rule is a table test away.
package verdict

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/stats"
)

// Conclusions of a check run, as the Checks API spells them.
const (
	ConclusionSuccess = "success"
	ConclusionFailure = "failure"
	ConclusionNeutral = "neutral"
)

// Side is one end of the comparison: an evaluation (nil when nothing was run, for
// example without an API key) with the config and price table of that commit.
type Side struct {
	Report *eval.Report
	Config *config.Config
	Prices *cost.Table
}

// Input is everything Compute needs.
type Input struct {
	Base, Head Side
	// Affected maps a prompt key (see PromptKey) to why it is affected.
	Affected map[string][]string
	// FlagShares maps a prompt key to the rollout share its flag currently gives it,
	// read from the head flags file.
	FlagShares map[string]FlagShare
	// Skipped says what was not evaluated and why, e.g. "model calls (no API key)".
	Skipped []string
	// FailOn names the gates that fail the check (see GateNames); nil means the
	// gate section of Head.Config decides.
	FailOn []string
	// FailOnSkip fails the check when case runs the change needed were skipped
	// (no key, a fork, no recorded response, a provider the change adds) or
	// when no affected prompt could be graded at all.
	FailOnSkip bool
	// ConfigChanges are the rules the change edits (promptgate.yaml rule
	// sections, suite thresholds). Head.Config carries base's rules, so these
	// are only reported, as taking effect after merge.
	ConfigChanges []config.RuleChange
	// HeadAsWritten is head's own config. When its pricing, traffic or budget
	// differ from Head.Config's, Result.AfterMerge projects cost under them.
	HeadAsWritten *config.Config
	// IgnoredCacheEntries counts recorded responses the change adds or edits,
	// which were not used.
	IgnoredCacheEntries int
	// Owners maps a prompt key to its owner (metadata.owner, else CODEOWNERS,
	// as of base); nil or a missing key means nobody owns it.
	Owners map[string]string
	// Candidates is the cheaper-model what-if of the head prompts. It is
	// reported and never changes the conclusion.
	Candidates []eval.Candidate
	// Extra are the confirmation samples drawn for Plan's flipped cases;
	// nil when none were (every flip is then unconfirmed).
	Extra *Extra
}

// AfterMerge is the cost projection under head's own pricing, traffic and
// budget, which decide nothing until the change is merged.
type AfterMerge struct {
	HeadMonthly     float64
	Budget          cost.BudgetPosition
	HeadUnknownCost []string
}

// FlagShare is a flagd flag splitting traffic between a stable and a rollout
// prompt variant, with Pct percent on the rollout one.
type FlagShare struct {
	Flag    string
	Stable  string
	Rollout string
	Pct     float64
}

// CaseChange is one case run whose status changed between base and head.
type CaseChange struct {
	Suite       string
	SuitePath   string
	Line        int
	Description string
	Repeat      int
	Vars        map[string]any
	BaseOutput  string
	HeadOutput  string
	// BaseToolCalls and HeadToolCalls are the tool calls each side's model
	// made over its tool loop, shown side by side.
	BaseToolCalls []eval.ToolCall
	HeadToolCalls []eval.ToolCall
	// Reason is the head run's assertion reason (what was expected), or its error.
	Reason     string
	BaseStatus eval.Status
	HeadStatus eval.Status
	// Worse is true when the case passed more often at base than at head in
	// the up-front samples.
	Worse bool `json:"worse"`
	// UpFront are the samples every case gets (repeat: N); Confirm the
	// confirmation samples drawn because the sides disagreed.
	UpFront Samples `json:"up_front"`
	Confirm Samples `json:"confirm"`
	// PValue is Fisher's exact test on the confirmation samples, in the
	// direction of the flip; Class what it decided (ClassRegressed…).
	PValue float64 `json:"p_value"`
	Class  string  `json:"class"`
}

// Samples counts one case's graded samples and passes at each side.
type Samples struct {
	BasePassed int `json:"base_passed"`
	Base       int `json:"base"`
	HeadPassed int `json:"head_passed"`
	Head       int `json:"head"`
}

// Total adds two sample counts.
func (s Samples) Total(o Samples) Samples {
	return Samples{s.BasePassed + o.BasePassed, s.Base + o.Base, s.HeadPassed + o.HeadPassed, s.Head + o.Head}
}

// Confirmation says what confirming the flipped cases cost.
type Confirmation struct {
	// Flipped counts the cases whose base and head results disagreed.
	Flipped int `json:"flipped"`
	// PerCase is the confirmation samples each got per side; Runs the case
	// runs made, Calls the model calls taken from the network for them.
	PerCase int `json:"per_case"`
	Runs    int `json:"runs"`
	Calls   int `json:"calls"`
	// Budget is the most extra case runs allowed (gate.max_resample, or
	// twice the first pass when it is not set).
	Budget int `json:"budget"`
	// NotDrawn says why no confirmation sample was drawn.
	NotDrawn string `json:"not_drawn,omitempty"`
}

// PromptDiff is one suite of one prompt (variant), base → head.
type PromptDiff struct {
	Key        string
	Prompt     string
	Variant    string
	SuitePath  string
	PromptPath string
	Reasons    []string
	// Base and Head are nil when that side has no result for the suite.
	Base, Head *eval.SuiteResult
	// NewlyFailing are the regressed cases and NewlyPassing the improved
	// ones: flips their confirmation samples bear out. Flaky are the other
	// flips (flaky or unconfirmed), which never fail the check alone.
	NewlyFailing []CaseChange
	NewlyPassing []CaseChange
	Flaky        []CaseChange `json:",omitempty"`
	// Stats is the suite's change with its interval and verdict; nil when no
	// case was graded at both sides.
	Stats *SuiteStats `json:",omitempty"`
	// NewErrors are runs that did not error at base and error at head.
	NewErrors []CaseChange

	BaseCostPerReq, HeadCostPerReq float64
	BaseCostKnown, HeadCostKnown   bool
	// RequestsPerDay is the head traffic for the prompt (before any flag share);
	// HasTraffic is false when promptgate.yaml gives none, and then the monthly
	// costs are 0.
	RequestsPerDay float64
	HasTraffic     bool
	// Flag and Share say which flag routes traffic to this variant and what
	// fraction (0..1) it gets; Share is 1 without a flag.
	Flag  string
	Share float64
	// BaseMonthly and HeadMonthly are projected at traffic × Share.
	BaseMonthly, HeadMonthly float64

	// flips, upFront and allSamples are compareCases's findings for
	// classify and suiteStats.
	flips      []CaseChange
	upFront    []stats.Case
	allSamples []stats.Case
}

// Gate is one gate's verdict. A gate can fire without failing the check when it
// is not enforced (see Enforced); the report then shows it as a warning.
type Gate struct {
	// Name is one of GateNames.
	Name     string
	Fired    bool
	Enforced bool
	Detail   string
	// File and Line locate the finding (suite case or config key) for annotations.
	File string
	Line int
}

// Result is the comparison, ready to render and publish.
type Result struct {
	Prompts []PromptDiff
	// BaseMonthly and HeadMonthly total the projected monthly cost of the prompts
	// compared, each prompt key counted once.
	BaseMonthly, HeadMonthly float64
	// UnknownCost lists prompt keys whose cost per request is unknown on a side,
	// which makes the totals incomparable.
	UnknownCost []string
	// HeadUnknownCost lists the prompt keys whose head cost is unknown (no price,
	// or no graded run): HeadMonthly and the budget position leave them out.
	HeadUnknownCost []string
	Budget          cost.BudgetPosition
	// Gates holds every gate verdict, fired or not, in GateNames order.
	Gates      []Gate
	Conclusion string
	Skipped    []string
	// Evaluated is true when at least one head suite graded a case.
	Evaluated  bool
	Projection projection.Projection
	// SkippedRuns counts case runs, at base and head, that could not be made.
	SkippedRuns int
	// ConfigChanges are the rule edits that take effect after merge.
	ConfigChanges []config.RuleChange `json:",omitempty"`
	// AfterMerge projects cost under head's own pricing, traffic and budget;
	// nil when they equal base's.
	AfterMerge *AfterMerge `json:",omitempty"`
	// IgnoredCacheEntries counts recorded responses the change adds or edits,
	// which were not used.
	IgnoredCacheEntries int
	// Owners rolls the projected monthly cost up per prompt owner, with each
	// owner's budget position; nil when no compared prompt has an owner.
	Owners []OwnerCost `json:",omitempty"`
	// Candidates is the cheaper-model what-if (Input.Candidates).
	Candidates []eval.Candidate `json:",omitempty"`
	// Trends are the affected prompts' histories on the default branch, filled
	// in by the Action from earlier check runs; nil when there are none.
	Trends []Trend `json:",omitempty"`
	// Confirmation is what confirming flipped cases cost; nil when no case
	// flipped.
	Confirmation *Confirmation `json:",omitempty"`
}

// GateSkipped is the verdict of the fail-on-skip option. It is not one of
// GateNames: `fail-on` does not name it, and `all` does not include it.
const GateSkipped = "skipped"

// Gate names, as `fail-on` spells them.
const (
	GateRegression = "regression"
	GateThreshold  = "threshold"
	GateCost       = "cost"
	GateBudget     = "budget"
	GateLatency    = "latency"
	GateErrors     = "errors"
)

// GateNames lists every gate in the order they are reported.
var GateNames = []string{GateRegression, GateThreshold, GateCost, GateBudget, GateLatency, GateErrors}

// PromptKey names a prompt variant the way file names do: "summarize" or
// "summarize.v2". Affected, FlagShares and traffic use it.
func PromptKey(prompt, variant string) string {
	if variant == "" {
		return prompt
	}
	return prompt + "." + variant
}

// CostComparable reports whether base and head monthly totals are both fully priced.
func (r Result) CostComparable() bool { return len(r.UnknownCost) == 0 }

// MonthlyDelta is the head minus base projected monthly cost.
func (r Result) MonthlyDelta() float64 { return r.HeadMonthly - r.BaseMonthly }

// Regressions counts newly failing case runs across all prompts.
func (r Result) Regressions() int {
	n := 0
	for _, p := range r.Prompts {
		n += len(p.NewlyFailing)
	}
	return n
}

// Fired returns the gates that fired, enforced or not.
func (r Result) Fired() []Gate {
	var out []Gate
	for _, g := range r.Gates {
		if g.Fired {
			out = append(out, g)
		}
	}
	return out
}

// Compute compares base and head and decides the conclusion.
func Compute(in Input) Result {
	headCfg := cfgOr(in.Head.Config)
	baseCfg := cfgOr(in.Base.Config)
	r := Result{Skipped: slices.Clone(in.Skipped), ConfigChanges: slices.Clone(in.ConfigChanges), IgnoredCacheEntries: in.IgnoredCacheEntries,
		Candidates: slices.Clone(in.Candidates)}

	r.Prompts = pairSuites(in)
	for i := range r.Prompts {
		p := &r.Prompts[i]
		p.Reasons = slices.Clone(in.Affected[p.Key])
		compareCases(p, in.Extra)
		p.BaseCostPerReq, p.BaseCostKnown = costPerRequest(p.Base, in.Base.Prices)
		p.HeadCostPerReq, p.HeadCostKnown = costPerRequest(p.Head, in.Head.Prices)
		p.Flag, p.Share = "", 1
		if fs, ok := in.FlagShares[p.Key]; ok {
			p.Flag, p.Share = fs.Flag, shareOf(fs, p.Key)
		}
		p.RequestsPerDay, p.HasTraffic = trafficFor(headCfg, p.Key, p.Prompt, p.Flag)
		baseRPD, _ := trafficFor(baseCfg, p.Key, p.Prompt, p.Flag)
		p.BaseMonthly = cost.MonthlyCost(p.BaseCostPerReq, baseRPD*p.Share)
		p.HeadMonthly = cost.MonthlyCost(p.HeadCostPerReq, p.RequestsPerDay*p.Share)
		if p.Head != nil && p.Head.Graded() > 0 {
			r.Evaluated = true
		}
		for _, s := range []*eval.SuiteResult{p.Base, p.Head} {
			if s != nil {
				r.SkippedRuns += s.Skipped
			}
		}
	}
	classify(r.Prompts, headCfg.Gate.Alpha)
	for i := range r.Prompts {
		r.Prompts[i].Stats = suiteStats(&r.Prompts[i], headCfg.Gate.Alpha)
		r.Prompts[i].upFront, r.Prompts[i].allSamples = nil, nil
	}
	r.Confirmation = confirmation(r.Prompts, in.Extra, headCfg)
	keys, baseByKey, headByKey := r.totals(in, baseCfg, headCfg)
	r.Budget = cost.Position(r.HeadMonthly, headCfg.Budget.MonthlyUSD, headCfg.Budget.Alerts)
	r.Owners = ownerCosts(keys, baseByKey, headByKey, r.HeadUnknownCost, in.Owners, headCfg)
	r.Projection = flagProjection(r.Prompts, in.FlagShares, headCfg)
	r.Projection.Prompts = records(r.Prompts)
	r.Gates = gates(r, enabledGates(in.FailOn, headCfg), headCfg)
	if in.FailOnSkip {
		r.Gates = append(r.Gates, skipFinding(r))
	}
	r.Conclusion = conclude(r)
	r.AfterMerge = afterMerge(in, headCfg)
	return r
}

// afterMerge projects cost under head's own pricing, traffic and budget, when
// they differ from the ones that decided the check.
func afterMerge(in Input, rules *config.Config) *AfterMerge {
	own := in.HeadAsWritten
	if own == nil || own == rules {
		return nil
	}
	same := true
	for _, section := range []string{"pricing", "traffic", "budget"} {
		if own.Section(section) != rules.Section(section) {
			same = false
		}
	}
	if same {
		return nil
	}
	in.Head.Config, in.Head.Prices = own, cost.ForConfig(own)
	in.HeadAsWritten, in.FailOnSkip, in.ConfigChanges = nil, false, nil
	r := Compute(in)
	return &AfterMerge{HeadMonthly: r.HeadMonthly, Budget: r.Budget, HeadUnknownCost: r.HeadUnknownCost}
}

// skipFinding is the fail-on-skip verdict: it fires when case runs were
// skipped, or when prompts were affected and none could be graded.
func skipFinding(r Result) Gate {
	g := Gate{Name: GateSkipped, Enforced: true}
	switch {
	case r.SkippedRuns > 0:
		g.Fired = true
		g.Detail = fmt.Sprintf("%d case run(s) were skipped (see Skipped), and fail-on-skip is set", r.SkippedRuns)
	case len(r.Prompts) > 0 && !r.Evaluated:
		g.Fired = true
		g.Detail = "no affected prompt could be graded, and fail-on-skip is set"
	default:
		g.Detail = "no case run was skipped"
	}
	return g
}

func cfgOr(c *config.Config) *config.Config {
	if c == nil {
		return config.Default()
	}
	return c
}

// totals sums monthly cost once per prompt key: a prompt with several suites is
// priced at the mean over all its graded runs. It returns the keys in order
// and each key's base and head monthly cost.
func (r *Result) totals(in Input, baseCfg, headCfg *config.Config) (keys []string, base, head map[string]float64) {
	type acc struct {
		baseCost, headCost   float64
		baseN, headN         int
		baseKnown, headKnown bool
		share                float64
		prompt, flag         string
	}
	byKey := map[string]*acc{}
	base, head = map[string]float64{}, map[string]float64{}
	for _, p := range r.Prompts {
		a, ok := byKey[p.Key]
		if !ok {
			a = &acc{baseKnown: true, headKnown: true, share: p.Share, prompt: p.Prompt, flag: p.Flag}
			byKey[p.Key] = a
			keys = append(keys, p.Key)
		}
		add := func(s *eval.SuiteResult, c float64, known bool, sum *float64, n *int, ok *bool) {
			if s == nil || s.Graded() == 0 {
				return
			}
			if !known {
				*ok = false
				return
			}
			*sum += c * float64(s.Graded())
			*n += s.Graded()
		}
		add(p.Base, p.BaseCostPerReq, p.BaseCostKnown, &a.baseCost, &a.baseN, &a.baseKnown)
		add(p.Head, p.HeadCostPerReq, p.HeadCostKnown, &a.headCost, &a.headN, &a.headKnown)
	}
	for _, k := range keys {
		a := byKey[k]
		// A side with no graded runs cannot be priced either; when neither side
		// ran (no key, no recorded usage) the cost is unknown too, never $0.
		if a.baseN == 0 || a.headN == 0 || !a.baseKnown || !a.headKnown {
			r.UnknownCost = append(r.UnknownCost, k)
		}
		if a.headN == 0 || !a.headKnown {
			r.HeadUnknownCost = append(r.HeadUnknownCost, k)
		}
		if a.baseN > 0 {
			rpd, _ := trafficFor(baseCfg, k, a.prompt, a.flag)
			base[k] = cost.MonthlyCost(a.baseCost/float64(a.baseN), rpd*a.share)
			r.BaseMonthly += base[k]
		}
		if a.headN > 0 {
			rpd, _ := trafficFor(headCfg, k, a.prompt, a.flag)
			head[k] = cost.MonthlyCost(a.headCost/float64(a.headN), rpd*a.share)
			r.HeadMonthly += head[k]
		}
	}
	slices.Sort(r.UnknownCost)
	slices.Sort(r.HeadUnknownCost)
	return keys, base, head
}

// costPerRequest prices a suite's mean call with the side's price table, so a
// pricing change re-projects without re-evaluating. Judge calls are left out:
// production traffic does not make them. Without a table, the suite's own cost is used.
func costPerRequest(s *eval.SuiteResult, prices *cost.Table) (float64, bool) {
	if s == nil || s.Graded() == 0 {
		return 0, false
	}
	if prices == nil {
		return s.CostPerRequest()
	}
	p, ok := prices.Lookup(s.Model)
	if !ok {
		return 0, false
	}
	return (s.MeanInputTokens*p.Input + s.MeanOutputTokens*p.Output) / 1e6, true
}

// trafficFor finds requests per day for a prompt variant: its own key, then its
// flag, then the bare prompt name.
func trafficFor(c *config.Config, key, prompt, flag string) (float64, bool) {
	for _, name := range []string{key, flag, prompt} {
		if name == "" {
			continue
		}
		if t, ok := c.Traffic[name]; ok {
			return t.RequestsPerDay, true
		}
	}
	return 0, false
}

// shareOf is the fraction of a flag's traffic that key receives.
func shareOf(fs FlagShare, key string) float64 {
	p := max(0, min(100, fs.Pct)) / 100
	switch key {
	case fs.Rollout:
		return p
	case fs.Stable:
		return 1 - p
	default:
		return 1
	}
}

// flagProjection is each flag's monthly cost with all its traffic on the stable
// and on the rollout variant, from head costs (base where head did not run). A
// flag with a variant that cannot be priced is left out, so the App says unknown
// rather than quote $0.
func flagProjection(prompts []PromptDiff, shares map[string]FlagShare, headCfg *config.Config) projection.Projection {
	perReq := map[string]float64{}
	for _, p := range prompts {
		if _, done := perReq[p.Key]; done {
			continue
		}
		switch {
		case p.HeadCostKnown:
			perReq[p.Key] = p.HeadCostPerReq
		case p.BaseCostKnown && p.Head == nil:
			perReq[p.Key] = p.BaseCostPerReq
		}
	}
	out := projection.Projection{Flags: map[string]projection.FlagCost{}}
	for _, fs := range shares {
		if _, done := out.Flags[fs.Flag]; done || fs.Flag == "" {
			continue
		}
		stable, okS := perReq[fs.Stable]
		rollout, okR := perReq[fs.Rollout]
		if !okS || !okR {
			continue
		}
		rpd, _ := trafficFor(headCfg, fs.Stable, strings.SplitN(fs.Stable, ".", 2)[0], fs.Flag)
		out.Flags[fs.Flag] = projection.FlagCost{
			StableMonthlyUSD:  cost.MonthlyCost(stable, rpd),
			RolloutMonthlyUSD: cost.MonthlyCost(rollout, rpd),
		}
	}
	return out
}

func conclude(r Result) string {
	for _, g := range r.Gates {
		if g.Fired && g.Enforced {
			return ConclusionFailure
		}
	}
	if !r.Evaluated {
		return ConclusionNeutral
	}
	return ConclusionSuccess
}

// pairSuites matches suites across sides by (suite path, prompt, variant), in
// head order then base-only suites, and adds affected prompts with no suite.
func pairSuites(in Input) []PromptDiff {
	type id struct{ path, prompt, variant string }
	var out []PromptDiff
	index := map[id]int{}
	add := func(s *eval.SuiteResult, head bool) {
		k := id{s.Path, s.Prompt, s.Variant}
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, PromptDiff{Key: PromptKey(s.Prompt, s.Variant), Prompt: s.Prompt,
				Variant: s.Variant, SuitePath: s.Path, PromptPath: s.PromptPath})
		}
		if head {
			out[i].Head = s
			out[i].PromptPath = cmp.Or(s.PromptPath, out[i].PromptPath)
		} else if out[i].Base == nil {
			out[i].Base = s
			out[i].PromptPath = cmp.Or(out[i].PromptPath, s.PromptPath)
		}
	}
	if in.Head.Report != nil {
		for _, s := range in.Head.Report.Suites {
			if s != nil {
				add(s, true)
			}
		}
	}
	if in.Base.Report != nil {
		for _, s := range in.Base.Report.Suites {
			if s != nil {
				add(s, false)
			}
		}
	}
	seen := map[string]bool{}
	for _, p := range out {
		seen[p.Key] = true
	}
	var extra []string
	for k := range in.Affected {
		if !seen[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		prompt, variant, _ := strings.Cut(k, ".")
		out = append(out, PromptDiff{Key: k, Prompt: prompt, Variant: variant})
	}
	return out
}

// describe names a suite for gate details: "summarize.v2 (evals/summarize.yaml)".
func describe(p PromptDiff) string {
	if p.SuitePath == "" {
		return p.Key
	}
	return fmt.Sprintf("%s (%s)", p.Key, p.SuitePath)
}
