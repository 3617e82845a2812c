package cost

import "slices"

// DaysPerMonth is the month length used for projections (365/12).
const DaysPerMonth = 365.0 / 12

// MonthlyCost projects monthly spend from a cost per request and a daily request volume.
func MonthlyCost(costPerRequest, requestsPerDay float64) float64 {
	return costPerRequest * requestsPerDay * DaysPerMonth
}

// AtShare mixes a stable and a rollout monthly cost for a rollout share in percent.
func AtShare(stable, rollout float64, pct float64) float64 {
	return stable*(1-pct/100) + rollout*(pct/100)
}

// BudgetPosition is projected spend measured against the monthly budget.
type BudgetPosition struct {
	MonthlyUSD   float64 `json:"monthly_usd"`
	ProjectedUSD float64 `json:"projected_usd"`
	// Fraction is ProjectedUSD/MonthlyUSD (0 when there is no budget).
	Fraction float64 `json:"fraction"`
	// Crossed lists the alert thresholds reached, e.g. [0.5, 0.8].
	Crossed []float64 `json:"crossed,omitempty"`
	// Over is true when the projection exceeds the budget.
	Over bool `json:"over"`
}

// Position places a projection against a budget and its alert thresholds. A zero
// budget means none is configured: nothing is crossed.
func Position(projected, budget float64, alerts []float64) BudgetPosition {
	p := BudgetPosition{MonthlyUSD: budget, ProjectedUSD: projected}
	if budget <= 0 {
		return p
	}
	p.Fraction = projected / budget
	for _, a := range alerts {
		if p.Fraction >= a {
			p.Crossed = append(p.Crossed, a)
		}
	}
	slices.Sort(p.Crossed)
	p.Over = projected > budget
	return p
}
