package verdict

import (
	"fmt"
	"slices"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/owners"
)

// OwnerCost is one owner's share of the compared prompts' projected monthly
// cost, at base and at head, and where head stands against the owner's budget.
type OwnerCost struct {
	// Owner is "@org/team", "@user" or an email; "" for prompts nobody owns.
	Owner   string   `json:"owner"`
	Prompts []string `json:"prompts"`
	// BaseMonthly and HeadMonthly sum the owner's prompts that could be
	// priced; HeadUnknown lists the prompts whose head cost is unknown.
	BaseMonthly float64  `json:"base_monthly_usd"`
	HeadMonthly float64  `json:"head_monthly_usd"`
	HeadUnknown []string `json:"head_unknown,omitempty"`
	// Budget is the owner's budget.owners entry (nil when it has none) and
	// Position the head projection against it.
	Budget   *config.OwnerBudget  `json:"budget,omitempty"`
	Position *cost.BudgetPosition `json:"position,omitempty"`
}

// ownerCosts rolls the per-prompt monthly projections up per owner. It
// returns nil when no compared prompt has an owner and no owner has a budget,
// so a repo without owners sees no section.
func ownerCosts(keys []string, base, head map[string]float64, headUnknown []string, ownerOf map[string]string, c *config.Config) []OwnerCost {
	owned := false
	for _, k := range keys {
		if ownerOf[k] != "" {
			owned = true
		}
	}
	if !owned {
		return nil
	}
	byOwner := map[string]*OwnerCost{}
	for _, k := range keys {
		o := ownerOf[k]
		oc := byOwner[o]
		if oc == nil {
			oc = &OwnerCost{Owner: o}
			byOwner[o] = oc
		}
		oc.Prompts = append(oc.Prompts, k)
		oc.BaseMonthly += base[k]
		if slices.Contains(headUnknown, k) {
			oc.HeadUnknown = append(oc.HeadUnknown, k)
			continue
		}
		oc.HeadMonthly += head[k]
	}
	out := make([]OwnerCost, 0, len(byOwner))
	for o, oc := range byOwner {
		if b, ok := c.Budget.Owners[o]; ok && o != "" && b.MonthlyUSD > 0 {
			alerts := b.Alerts
			if alerts == nil {
				alerts = c.Budget.Alerts
			}
			pos := cost.Position(oc.HeadMonthly, b.MonthlyUSD, alerts)
			oc.Budget, oc.Position = &b, &pos
		}
		out = append(out, *oc)
	}
	slices.SortFunc(out, func(a, b OwnerCost) int { return owners.Compare(a.Owner, b.Owner) })
	return out
}

// ownerBudgetFindings are the budget gate's findings for owners whose head
// projection exceeds their own budget; each names the owner and points at the
// owner's line under budget.owners.
func ownerBudgetFindings(r Result, c *config.Config) []Gate {
	var out []Gate
	for _, o := range r.Owners {
		if o.Position == nil || !o.Position.Over {
			continue
		}
		line := c.Line("budget.owners." + o.Owner)
		if line == 0 {
			line = c.Line("budget.owners")
		}
		out = append(out, Gate{Fired: true, File: c.Path, Line: line,
			Detail: fmt.Sprintf("owner %s: projected $%.2f/month exceeds its budget of %s (%.0f%%)",
				o.Owner, o.Position.ProjectedUSD, budgetAmount(o.Budget.Amount), o.Position.Fraction*100)})
	}
	return out
}

// budgetAmount writes a budget as it was given: "$20.00/day ($608.33/month)".
func budgetAmount(a config.Amount) string {
	switch a.Period {
	case "", "monthly":
		return fmt.Sprintf("$%.2f/month", a.MonthlyUSD)
	case "daily":
		return fmt.Sprintf("$%.2f/day ($%.2f/month)", a.PeriodUSD, a.MonthlyUSD)
	case "weekly":
		return fmt.Sprintf("$%.2f/week ($%.2f/month)", a.PeriodUSD, a.MonthlyUSD)
	}
	return fmt.Sprintf("$%.2f/month", a.MonthlyUSD)
}
