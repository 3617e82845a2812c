// Package cost prices model calls from reported token usage and projects monthly
// spend from expected traffic. Prices come from an embedded, dated table
// (prices.tsv) merged with promptgate.yaml's `pricing` overrides.
package cost

import (
	_ "embed"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
)

//go:embed prices.tsv
var builtinTSV string

// DataDate is the date of the embedded price table, as stated in its header.
const DataDate = "2026-08-20"

// Price is USD per 1M input and output tokens.
type Price struct {
	Input  float64 `json:"input_usd_per_1m"`
	Output float64 `json:"output_usd_per_1m"`
	// Source says where the price came from: "builtin:<source column>" or "config".
	Source string `json:"source"`
}

// Table looks up model prices. The zero value is empty; use Builtin or NewTable.
type Table struct {
	prices map[string]Price
}

var builtin = mustParseTSV(builtinTSV)

// Builtin returns the embedded price table.
func Builtin() *Table { return &Table{prices: builtin} }

// NewTable returns the built-in table with overrides merged over it (USD per 1M tokens).
func NewTable(overrides map[string]Price) *Table {
	m := make(map[string]Price, len(builtin)+len(overrides))
	for k, v := range builtin {
		m[k] = v
	}
	for k, v := range overrides {
		if v.Source == "" {
			v.Source = "config"
		}
		m[k] = v
	}
	return &Table{prices: m}
}

var dateSuffix = regexp.MustCompile(`-(\d{4}-\d{2}-\d{2}|\d{8})$`)

// Lookup finds a model's price. It tries the name as written, then without any
// router prefix ("openai/gpt-4.1" → "gpt-4.1"), then without a date suffix
// ("gpt-4.1-2025-04-14" → "gpt-4.1"). ok is false for an unknown model, whose cost
// must be shown as unknown, never as $0.
func (t *Table) Lookup(model string) (Price, bool) {
	for _, cand := range candidates(model) {
		if p, ok := t.prices[cand]; ok {
			return p, true
		}
	}
	return Price{}, false
}

func candidates(model string) []string {
	out := []string{model}
	if i := strings.LastIndex(model, "/"); i >= 0 {
		out = append(out, model[i+1:])
	}
	for _, c := range out {
		if s := dateSuffix.ReplaceAllString(c, ""); s != c {
			out = append(out, s)
		}
	}
	return out
}

// Models lists every priced model name, sorted.
func (t *Table) Models() []string {
	names := make([]string, 0, len(t.prices))
	for k := range t.prices {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// CallCost is the USD cost of one call with the given token counts.
func (p Price) CallCost(inputTokens, outputTokens int) float64 {
	return (float64(inputTokens)*p.Input + float64(outputTokens)*p.Output) / 1e6
}

func mustParseTSV(data string) map[string]Price {
	m, err := parseTSV(data)
	if err != nil {
		panic("cost: embedded prices.tsv: " + err.Error())
	}
	return m
}

// parseTSV reads the table format of prices.tsv: '#' comment lines, one header
// row, then model, provider, input, output, max in, max out, source.
func parseTSV(data string) (map[string]Price, error) {
	m := map[string]Price{}
	header := false
	for i, line := range strings.Split(data, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !header {
			header = true
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 7 {
			return nil, fmt.Errorf("line %d: want 7 tab-separated fields, got %d", i+1, len(f))
		}
		in, err1 := strconv.ParseFloat(f[2], 64)
		out, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("line %d: bad price %q/%q", i+1, f[2], f[3])
		}
		m[f[0]] = Price{Input: in, Output: out, Source: "builtin:" + f[6]}
	}
	return m, nil
}

// ForConfig is the built-in table with promptgate.yaml's `pricing` merged over it.
func ForConfig(cfg *config.Config) *Table {
	over := make(map[string]Price, len(cfg.Pricing))
	for model, p := range cfg.Pricing {
		over[model] = Price{Input: p.Input, Output: p.Output}
	}
	return NewTable(over)
}
