package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBuiltinCoversProviders(t *testing.T) {
	t.Parallel()
	tb := Builtin()
	for _, model := range []string{"gpt-4.1-mini", "gpt-5", "claude-sonnet-4-5", "gemini-2.5-flash", "mistral-large-latest"} {
		if _, ok := tb.Lookup(model); !ok {
			t.Errorf("built-in table lacks %s", model)
		}
	}
	if !strings.Contains(builtinTSV, "Data date: about "+DataDate) {
		t.Errorf("prices.tsv header does not state data date %s", DataDate)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	tb := NewTable(map[string]Price{"my-finetune": {Input: 0.3, Output: 1.2}, "gpt-4o": {Input: 1, Output: 1}})
	tests := []struct {
		model string
		want  Price
		ok    bool
	}{
		{"gpt-4.1-mini", Price{0.4, 1.6, "builtin:litellm:gpt-4.1-mini,langfuse:gpt-4.1-mini"}, true},
		{"openai/gpt-4.1-mini", Price{0.4, 1.6, "builtin:litellm:gpt-4.1-mini,langfuse:gpt-4.1-mini"}, true},
		{"gpt-4.1-mini-2025-04-14", Price{0.4, 1.6, "builtin:litellm:gpt-4.1-mini,langfuse:gpt-4.1-mini"}, true},
		{"my-finetune", Price{0.3, 1.2, "config"}, true},
		{"gpt-4o", Price{1, 1, "config"}, true},
		{"local/llama3.1", Price{}, false},
		{"", Price{}, false},
	}
	for _, tt := range tests {
		got, ok := tb.Lookup(tt.model)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, %v", tt.model, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCallCostAndProjection(t *testing.T) {
	t.Parallel()
	p := Price{Input: 0.4, Output: 1.6}
	c := p.CallCost(1000, 500) // 0.0004 + 0.0008
	if math.Abs(c-0.0012) > 1e-12 {
		t.Fatalf("CallCost = %v", c)
	}
	m := MonthlyCost(c, 20000)
	if math.Abs(m-0.0012*20000*365/12) > 1e-9 {
		t.Fatalf("MonthlyCost = %v", m)
	}
	if got := AtShare(100, 200, 25); got != 125 {
		t.Fatalf("AtShare = %v", got)
	}
}

func TestPosition(t *testing.T) {
	t.Parallel()
	alerts := []float64{0.5, 0.8, 1.0}
	tests := []struct {
		projected, budget float64
		crossed           []float64
		over              bool
	}{
		{100, 1000, nil, false},
		{500, 1000, []float64{0.5}, false},
		{850, 1000, []float64{0.5, 0.8}, false},
		{1000, 1000, []float64{0.5, 0.8, 1.0}, false},
		{1200, 1000, []float64{0.5, 0.8, 1.0}, true},
		{1200, 0, nil, false},
	}
	for _, tt := range tests {
		got := Position(tt.projected, tt.budget, alerts)
		if !cmp.Equal(got.Crossed, tt.crossed) || got.Over != tt.over {
			t.Errorf("Position(%v, %v) = %+v", tt.projected, tt.budget, got)
		}
	}
}
