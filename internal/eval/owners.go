package eval

import (
	"slices"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/owners"
)

// OwnerCost is one owner's share of a run's projected spend.
type OwnerCost struct {
	// Owner is "@org/team", "@user" or an email; "" for prompts nobody owns.
	Owner   string   `json:"owner"`
	Prompts []string `json:"prompts"`
	// MonthlyUSD sums traffic × cost per request over the owner's prompts that
	// have both; Unprojected lists the prompts left out (no traffic or price).
	MonthlyUSD  float64  `json:"monthly_usd"`
	Unprojected []string `json:"unprojected,omitempty"`
	// Budget is the owner's budget as written (nil when budget.owners has
	// none), and Position the projection against it.
	Budget   *OwnerBudget         `json:"budget,omitempty"`
	Position *cost.BudgetPosition `json:"position,omitempty"`
}

// OwnerBudget is a per-owner budget as the roll-up needs it.
type OwnerBudget struct {
	// Period is "daily", "weekly" or "monthly" and PeriodUSD the amount per
	// period; MonthlyUSD is the same budget per month.
	Period     string    `json:"period"`
	PeriodUSD  float64   `json:"period_usd"`
	MonthlyUSD float64   `json:"monthly_usd"`
	Alerts     []float64 `json:"alerts"`
}

// RollUpOwners groups the report's prompts by owner and projects each
// owner's monthly cost from requestsPerDay (0 = no traffic configured).
// budget returns an owner's budget, if any. Owners come out sorted, with the
// unowned last.
func RollUpOwners(rep *Report, ownerOf func(prompt, variant string) string, requestsPerDay func(prompt string) float64,
	budget func(owner string) (OwnerBudget, bool)) []OwnerCost {
	type promptKey struct{ prompt, variant string }
	costs := map[promptKey]*costSum{}
	var keys []promptKey
	for _, s := range rep.Suites {
		k := promptKey{s.Prompt, s.Variant}
		if costs[k] == nil {
			costs[k] = &costSum{known: true}
			keys = append(keys, k)
		}
		costs[k].add(s)
	}
	byOwner := map[string]*OwnerCost{}
	for _, k := range keys {
		owner := ownerOf(k.prompt, k.variant)
		oc := byOwner[owner]
		if oc == nil {
			oc = &OwnerCost{Owner: owner}
			byOwner[owner] = oc
		}
		name := k.prompt
		if k.variant != "" {
			name += "." + k.variant
		}
		oc.Prompts = append(oc.Prompts, name)
		per1K, rpd := costs[k].per1K(), requestsPerDay(k.prompt)
		if per1K == nil || rpd <= 0 {
			oc.Unprojected = append(oc.Unprojected, name)
			continue
		}
		oc.MonthlyUSD += cost.MonthlyCost(*per1K/1000, rpd)
	}
	out := make([]OwnerCost, 0, len(byOwner))
	for owner, oc := range byOwner {
		if b, ok := budget(owner); ok && owner != "" {
			pos := cost.Position(oc.MonthlyUSD, b.MonthlyUSD, b.Alerts)
			oc.Budget, oc.Position = &b, &pos
		}
		out = append(out, *oc)
	}
	slices.SortFunc(out, func(a, b OwnerCost) int { return owners.Compare(a.Owner, b.Owner) })
	return out
}
