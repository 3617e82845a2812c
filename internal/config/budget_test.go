package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestBudgetPeriodsAndOwners(t *testing.T) {
	t.Parallel()
	src := `budget:
  weekly_usd: 700
  alerts: [0.8, 0.5]
  owners:
    "@acme/support": {daily_usd: 10}
    "@acme/search": {monthly_usd: 300, alerts: [0.9]}
    ml@acme.dev: {weekly_usd: 70}
candidates: [gpt-4o-mini]
`
	c, err := Parse([]byte(src), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	approx := cmpopts.EquateApprox(0, 1e-9)
	want := Budget{Amount: Amount{MonthlyUSD: 100 * 365.0 / 12, Period: "weekly", PeriodUSD: 700}, Alerts: []float64{0.5, 0.8},
		Owners: map[string]OwnerBudget{
			"@acme/support": {Amount: Amount{MonthlyUSD: 10 * 365.0 / 12, Period: "daily", PeriodUSD: 10}, Alerts: []float64{0.5, 0.8}},
			"@acme/search":  {Amount: Amount{MonthlyUSD: 300, Period: "monthly", PeriodUSD: 300}, Alerts: []float64{0.9}},
			"ml@acme.dev":   {Amount: Amount{MonthlyUSD: 10 * 365.0 / 12, Period: "weekly", PeriodUSD: 70}, Alerts: []float64{0.5, 0.8}},
		}}
	if diff := cmp.Diff(want, c.Budget, approx); diff != "" {
		t.Errorf("budget (-want +got):\n%s", diff)
	}
	if !cmp.Equal(c.Candidates, []string{"gpt-4o-mini"}) {
		t.Errorf("candidates = %v", c.Candidates)
	}
}

func TestBudgetErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, src, want string }{
		{"two periods", "budget:\n  daily_usd: 1\n  monthly_usd: 30\n", "promptgate.yaml:1: budget: set one of daily_usd, weekly_usd or monthly_usd, not 2 of them"},
		{"owner without amount", "budget:\n  owners:\n    \"@acme/x\": {alerts: [0.5]}\n", "promptgate.yaml:3: budget.owners.@acme/x needs daily_usd, weekly_usd or monthly_usd"},
		{"owner not an owner", "budget:\n  owners:\n    support: {daily_usd: 1}\n", `promptgate.yaml:3: budget.owners: "support" is not an owner`},
		{"negative", "budget:\n  weekly_usd: -1\n", "promptgate.yaml:2: budget.weekly_usd must not be negative"},
		{"candidate twice", "candidates: [a, a]\n", `promptgate.yaml:1: candidates lists "a" twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.src), "promptgate.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
