// Package webreport renders an eval run or a base-vs-head check as one
// self-contained HTML page: every case of every prompt, base beside head,
// with filters (regressed, flaky, failing, by suite), the cost, owner and
// what-if tables and the trend charts. The page loads nothing from anywhere:
// its style and script are inline and a Content-Security-Policy forbids any
// other source, so it can be opened from an artifact, a file or `promptgate
// view` alike. Every string a model, a test or a config wrote goes through
// html/template's contextual escaping.
package webreport

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
)

// Page is everything the HTML page shows, already reduced to text and
// numbers.
type Page struct {
	Title string
	// Subtitle says what was compared: "base 1a2b3c4 → head 5d6e7f8" or
	// "eval run".
	Subtitle   string
	Conclusion string
	// Compare is true for a base-vs-head check; an eval run has a head only.
	Compare  bool
	Gates    []GateRow
	Problems []string
	Skipped  []string
	Warnings []string
	// Suites lists every suite path once, for the suite filter.
	Suites     []string
	Sections   []Section
	Costs      []CostRow
	Owners     []OwnerRow
	Candidates []CandidateRow
	Trends     []TrendChart
	// Cases counts the case rows over all sections.
	Cases int
}

// GateRow is one gate that fired.
type GateRow struct {
	Name, Detail string
	Enforced     bool
}

// Section is one suite of one prompt (variant).
type Section struct {
	Prompt    string
	SuitePath string
	Model     string
	Base      *SideSummary
	Head      *SideSummary
	Cases     []CaseRow
}

// SideSummary is a suite's totals on one side.
type SideSummary struct {
	Passed, Failed, Errored, Skipped int
	PassRate                         string
	Threshold                        string
	Cost                             string
	Meets                            bool
	// NotGraded says what was left ungraded ("" when nothing was).
	NotGraded string
}

// CaseRow is one test case (all its repeats) on both sides.
type CaseRow struct {
	ID          string
	SuitePath   string
	Description string
	Line        int
	Vars        string
	Base, Head  *CaseSide
	// Regressed: passed every graded run at base and failed every graded
	// run at head. Flaky: passed and failed on one side. Failing: a run
	// failed or errored at head.
	Regressed, Flaky, Failing bool
}

// CaseSide is one case's runs on one side.
type CaseSide struct {
	// Status is pass, fail, error, skipped, not-graded or flaky.
	Status string
	// Counts is "2/3 passed" when the case ran more than once.
	Counts string
	Output string
	Reason string
	Error  string
	// NotGraded names the assertions promptgate did not grade.
	NotGraded string
}

// CostRow is one prompt's cost per request and projection.
type CostRow struct {
	Prompt                   string
	BaseCostPerReq, HeadCost string
	BaseMonthly, HeadMonthly string
	Traffic                  string
}

// OwnerRow is one owner's roll-up.
type OwnerRow struct {
	Owner, Prompts, BaseMonthly, HeadMonthly, Budget string
	Over                                             bool
}

// CandidateRow is one prompt × candidate model of the what-if.
type CandidateRow struct {
	Prompt, HeadModel, Model, PassRate, HeadPassRate string
	Lost, Won                                        int
	CostPer1K, HeadCostPer1K, Monthly, Saving        string
	Recommended                                      bool
}

// TrendChart is one prompt's history, drawn as inline SVG.
type TrendChart struct {
	Key      string
	PassRate Chart
	Cost     Chart
}

// Chart is a polyline in a 300×80 box, with its values for the table under it.
type Chart struct {
	Label  string
	Points string
	Values []string
}

// FromEval builds the page of an eval run: head only.
func FromEval(rep *eval.Report) Page {
	p := Page{Title: "promptgate eval", Subtitle: "eval run", Warnings: rep.Warnings}
	if rep.OK() {
		p.Conclusion = "success"
	} else {
		p.Conclusion = "failure"
	}
	for _, s := range rep.Suites {
		p.addSection(s.Prompt, s.Variant, s.Path, s.Model, nil, s)
	}
	for _, o := range rep.Owners {
		p.Owners = append(p.Owners, OwnerRow{Owner: orNobody(o.Owner), Prompts: joinList(o.Prompts),
			HeadMonthly: usd(o.MonthlyUSD, true), Budget: budget(o.Position), Over: o.Position != nil && o.Position.Over})
	}
	p.Candidates = candidates(rep.Candidates)
	return p
}

// FromCheck builds the page of a check: base beside head.
func FromCheck(r verdict.Result, baseSHA, headSHA string, problems []string) Page {
	p := Page{Title: "promptgate check", Subtitle: fmt.Sprintf("base %s → head %s", short(baseSHA), short(headSHA)),
		Conclusion: r.Conclusion, Compare: true, Skipped: r.Skipped, Problems: problems}
	for _, g := range r.Gates {
		if g.Fired {
			p.Gates = append(p.Gates, GateRow{Name: g.Name, Detail: g.Detail, Enforced: g.Enforced})
		}
	}
	for _, d := range r.Prompts {
		model := ""
		if d.Head != nil {
			model = d.Head.Model
		}
		p.addSection(d.Prompt, d.Variant, d.SuitePath, model, d.Base, d.Head)
		traffic := "none"
		if d.HasTraffic {
			traffic = fmt.Sprintf("%.0f/day", d.RequestsPerDay)
			if d.Flag != "" {
				traffic += fmt.Sprintf(" × %.0f%% (%s)", d.Share*100, d.Flag)
			}
		}
		p.Costs = append(p.Costs, CostRow{Prompt: promptName(d.Prompt, d.Variant), Traffic: traffic,
			BaseCostPerReq: usd(d.BaseCostPerReq, d.BaseCostKnown), HeadCost: usd(d.HeadCostPerReq, d.HeadCostKnown),
			BaseMonthly: usd(d.BaseMonthly, d.BaseCostKnown && d.HasTraffic), HeadMonthly: usd(d.HeadMonthly, d.HeadCostKnown && d.HasTraffic)})
	}
	for _, o := range r.Owners {
		p.Owners = append(p.Owners, OwnerRow{Owner: orNobody(o.Owner), Prompts: joinList(o.Prompts),
			BaseMonthly: usd(o.BaseMonthly, true), HeadMonthly: usd(o.HeadMonthly, true),
			Budget: budget(o.Position), Over: o.Position != nil && o.Position.Over})
	}
	p.Candidates = candidates(r.Candidates)
	for _, t := range r.Trends {
		p.Trends = append(p.Trends, trendChart(t))
	}
	return p
}

// addSection adds one suite's cases, matching base and head runs by case.
func (p *Page) addSection(prompt, variant, path, model string, base, head *eval.SuiteResult) {
	sec := Section{Prompt: promptName(prompt, variant), SuitePath: path, Model: model,
		Base: summary(base), Head: summary(head)}
	type group struct {
		key        caseKey
		first      eval.CaseResult
		base, head []eval.CaseResult
	}
	var order []caseKey
	groups := map[caseKey]*group{}
	add := func(rs *eval.SuiteResult, isBase bool) {
		if rs == nil {
			return
		}
		for _, c := range rs.Cases {
			k := caseKey{c.Index, c.Description}
			g, ok := groups[k]
			if !ok {
				g = &group{key: k, first: c}
				groups[k] = g
				order = append(order, k)
			}
			if isBase {
				g.base = append(g.base, c)
			} else {
				g.head = append(g.head, c)
			}
		}
	}
	add(head, false)
	add(base, true)
	slices.SortStableFunc(order, func(a, b caseKey) int { return cmp.Compare(a.index, b.index) })
	for _, k := range order {
		g := groups[k]
		row := CaseRow{ID: fmt.Sprintf("case-%d", p.Cases+1), SuitePath: path, Description: g.first.Description,
			Line: g.first.Line, Vars: vars(g.first.Vars), Head: side(g.head)}
		if p.Compare {
			row.Base = side(g.base)
		}
		row.Flaky = isFlaky(row.Base) || isFlaky(row.Head)
		row.Regressed = row.Base != nil && row.Head != nil && row.Base.Status == "pass" && row.Head.Status == "fail"
		row.Failing = row.Head != nil && (row.Head.Status == "fail" || row.Head.Status == "error" || row.Head.Status == "flaky")
		sec.Cases = append(sec.Cases, row)
		p.Cases++
	}
	if !slices.Contains(p.Suites, path) {
		p.Suites = append(p.Suites, path)
	}
	p.Sections = append(p.Sections, sec)
}

type caseKey struct {
	index int
	desc  string
}

func isFlaky(s *CaseSide) bool { return s != nil && s.Status == "flaky" }

// side sums up one case's runs on one side; nil when it has none.
func side(runs []eval.CaseResult) *CaseSide {
	if len(runs) == 0 {
		return nil
	}
	var pass, fail, errs, skip, ungraded int
	for _, r := range runs {
		switch r.Status {
		case eval.StatusPass:
			pass++
		case eval.StatusFail:
			fail++
		case eval.StatusError:
			errs++
		case eval.StatusNotGraded:
			ungraded++
		default:
			skip++
		}
	}
	s := &CaseSide{}
	switch {
	case pass > 0 && fail > 0:
		s.Status = "flaky"
	case fail > 0:
		s.Status = "fail"
	case errs > 0:
		s.Status = "error"
	case pass > 0:
		s.Status = "pass"
	case ungraded > 0:
		s.Status = string(eval.StatusNotGraded)
	default:
		s.Status = "skipped"
	}
	if len(runs) > 1 {
		s.Counts = fmt.Sprintf("%d/%d passed", pass, len(runs))
		if errs > 0 {
			s.Counts += fmt.Sprintf(", %d errored", errs)
		}
	}
	// Show the run that explains the status: the first failing or errored
	// one, else the first.
	shown := runs[0]
	for _, r := range runs {
		if r.Status == eval.StatusFail || r.Status == eval.StatusError {
			shown = r
			break
		}
	}
	s.Output, s.Reason, s.Error = shown.Output, shown.Reason, shown.Error
	s.NotGraded = strings.Join(shown.NotGraded, ", ")
	return s
}

func summary(s *eval.SuiteResult) *SideSummary {
	if s == nil {
		return nil
	}
	rate := "n/a"
	if s.Graded() > 0 {
		rate = fmt.Sprintf("%d/%d (%s)", s.Passed, s.Graded(), percent(s.PassRate()))
	}
	return &SideSummary{Passed: s.Passed, Failed: s.Failed, Errored: s.Errored, Skipped: s.Skipped,
		PassRate: rate, Threshold: percent(s.Threshold), Cost: usd(s.CostUSD, s.CostKnown),
		Meets: s.MeetsThreshold() && s.Errored == 0, NotGraded: s.NotGradedNote()}
}

func candidates(cs []eval.Candidate) []CandidateRow {
	var out []CandidateRow
	for _, c := range cs {
		out = append(out, CandidateRow{Prompt: promptName(c.Prompt, c.Variant), HeadModel: c.HeadModel, Model: c.Model,
			PassRate: fmt.Sprintf("%d/%d (%s)", c.Passed, c.Graded, percent(c.PassRate)), HeadPassRate: percent(c.HeadPassRate),
			Lost: len(c.Lost), Won: len(c.Won), CostPer1K: usdPtr(c.CostPer1K), HeadCostPer1K: usdPtr(c.HeadCostPer1K),
			Monthly: usdPtr(c.MonthlyUSD), Saving: usdPtr(c.SavingUSD), Recommended: c.Recommended})
	}
	return out
}
