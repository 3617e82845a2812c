package verdict

import (
	"math"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
)

// TestOwnerCostsAndBudgets: cost rolls up per owner at base and head; an
// owner over its own budget fires the budget gate naming the owner and
// pointing at its line, while an owner within budget only crosses alerts;
// prompts nobody owns come last.
func TestOwnerCostsAndBudgets(t *testing.T) {
	t.Parallel()
	// cheap: $0.002 a call, dear: $0.02. 1,000 requests a day each.
	cfg := mustConfig(t, `traffic:
  summarize: {requests_per_day: 1000}
  classify: {requests_per_day: 1000}
  extract: {requests_per_day: 1000}
budget:
  monthly_usd: 100000
  owners:
    "@acme/support": {daily_usd: 10}
    "@acme/billing":
      weekly_usd: 20
`)
	base := &eval.Report{Suites: []*eval.SuiteResult{
		suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, P),
		suite("evals/c.yaml", "classify", "", "cheap", 0.5, P, P),
		suite("evals/e.yaml", "extract", "", "cheap", 0.5, P, P),
	}}
	head := &eval.Report{Suites: []*eval.SuiteResult{
		suite("evals/s.yaml", "summarize", "", "dear", 0.5, P, P),
		suite("evals/c.yaml", "classify", "", "cheap", 0.5, P, P),
		suite("evals/e.yaml", "extract", "", "cheap", 0.5, P, P),
	}}
	r := Compute(Input{
		Base:     Side{Report: base, Config: cfg, Prices: prices()},
		Head:     Side{Report: head, Config: cfg, Prices: prices()},
		Affected: map[string][]string{"summarize": {"prompt changed"}, "classify": {"prompt changed"}, "extract": {"prompt changed"}},
		Owners:   map[string]string{"summarize": "@acme/support", "classify": "@acme/billing"},
	})
	if len(r.Owners) != 3 {
		t.Fatalf("owners = %+v, want @acme/billing, @acme/support and the unowned", r.Owners)
	}
	month := 365.0 / 12
	want := []struct {
		owner      string
		base, head float64
		over       bool
		crossed    int
	}{
		// billing: $0.002 × 1000 × 30.4 = $60.8 of $86.9 (weekly 20): 70%, past 50%.
		{"@acme/billing", 0.002 * 1000 * month, 0.002 * 1000 * month, false, 1},
		// support: $0.02 × 1000 × 30.4 = $608 of $304 (daily 10): over.
		{"@acme/support", 0.002 * 1000 * month, 0.02 * 1000 * month, true, 3},
		{"", 0.002 * 1000 * month, 0.002 * 1000 * month, false, 0},
	}
	for i, w := range want {
		o := r.Owners[i]
		if o.Owner != w.owner || math.Abs(o.BaseMonthly-w.base) > 1e-6 || math.Abs(o.HeadMonthly-w.head) > 1e-6 {
			t.Errorf("owner %d = %s base %.2f head %.2f, want %s %.2f %.2f", i, o.Owner, o.BaseMonthly, o.HeadMonthly, w.owner, w.base, w.head)
		}
		if w.owner == "" {
			if o.Position != nil {
				t.Errorf("the unowned have a budget position: %+v", o.Position)
			}
			continue
		}
		if o.Position == nil || o.Position.Over != w.over || len(o.Position.Crossed) != w.crossed {
			t.Errorf("%s position = %+v, want over %v with %d alerts crossed", w.owner, o.Position, w.over, w.crossed)
		}
	}
	var found []Gate
	for _, g := range r.Fired() {
		if g.Name == GateBudget && strings.Contains(g.Detail, "owner") {
			found = append(found, g)
		}
	}
	if len(found) != 1 || !strings.Contains(found[0].Detail, "owner @acme/support") || !strings.Contains(found[0].Detail, "$10.00/day") {
		t.Fatalf("owner budget findings = %+v, want one naming @acme/support and its daily budget", found)
	}
	if found[0].File != "promptgate.yaml" || found[0].Line != 8 {
		t.Errorf("finding at %s:%d, want promptgate.yaml:8 (the owner's budget line)", found[0].File, found[0].Line)
	}
	if r.Conclusion != ConclusionFailure {
		t.Errorf("conclusion %s, want failure: the budget gate is on by default", r.Conclusion)
	}

	unowned := Compute(Input{Base: Side{Report: base, Config: cfg, Prices: prices()}, Head: Side{Report: head, Config: cfg, Prices: prices()}})
	if unowned.Owners != nil {
		t.Errorf("no owner known, yet owners = %+v", unowned.Owners)
	}
}

// TestRecordsAndTrends: the hidden record holds each prompt's head pass rate,
// cost per 1k and p95; AddTrends charts only prompts with earlier records,
// oldest first and head last, and never counts the head's own commit twice.
func TestRecordsAndTrends(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, "traffic: {summarize: {requests_per_day: 1000}}\n")
	head := &eval.Report{Suites: []*eval.SuiteResult{
		suite("evals/s.yaml", "summarize", "", "cheap", 0.5, P, F, P, P),
		suite("evals/c.yaml", "classify", "", "nopriced", 0.5, P),
	}}
	head.Suites[0].PromptHash = "aaaaaaaaaaaa"
	r := Compute(Input{Head: Side{Report: head, Config: cfg, Prices: prices()},
		Affected: map[string][]string{"summarize": {"x"}, "classify": {"x"}}})
	s := r.Projection.Prompts["summarize"]
	if s.PassRate == nil || *s.PassRate != 0.75 || s.CostPer1K == nil || *s.CostPer1K != 2 || s.P95MS == nil || *s.P95MS != 200 || s.Hash != "aaaaaaaaaaaa" {
		t.Errorf("summarize record = %+v, want 0.75, $2 per 1k, 200ms, its hash", s)
	}
	if c := r.Projection.Prompts["classify"]; c.CostPer1K != nil {
		t.Errorf("classify has no price, yet its record costs %v", *c.CostPer1K)
	}
	rate := func(v float64) map[string]projection.PromptRecord {
		return map[string]projection.PromptRecord{"summarize": {PassRate: &v}}
	}
	r.AddTrends([]Recorded{{SHA: "1111111", Prompts: rate(0.5)}, {SHA: "2222222", Prompts: nil}, {SHA: "3333333", Prompts: rate(1)}, {SHA: "head", Prompts: rate(0)}}, "head")
	if len(r.Trends) != 1 || r.Trends[0].Key != "summarize" {
		t.Fatalf("trends = %+v, want one for summarize (classify has no history)", r.Trends)
	}
	pts := r.Trends[0].Points
	if len(pts) != 3 || pts[0].SHA != "1111111" || pts[1].SHA != "3333333" || !pts[2].Head || *pts[2].Record.PassRate != 0.75 {
		t.Errorf("points = %+v, want 1111111, 3333333, then the head at 0.75", pts)
	}
}
