package webreport

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/cost"
)

//go:embed page.tmpl report.css report.js
var assets embed.FS

var (
	pageTmpl = template.Must(template.New("page.tmpl").ParseFS(assets, "page.tmpl"))
	style    = mustRead("report.css")
	script   = mustRead("report.js")
)

func mustRead(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// csp allows the page's own inline style and exactly its own script (by
// hash), and nothing else: no fetch, no image, no font, no frame. Should an
// answer ever slip past escaping, the browser still runs none of it and
// loads nothing.
func csp() string {
	sum := sha256.Sum256([]byte(script))
	return "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
		base64.StdEncoding.EncodeToString(sum[:]) + "'; base-uri 'none'; form-action 'none'"
}

// Write renders p as one self-contained HTML document.
func Write(w io.Writer, p Page) error {
	data := struct {
		Page
		CSP    string
		Style  template.CSS
		Script template.JS
	}{p, csp(), template.CSS(style), template.JS(script)}
	if err := pageTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("render HTML report: %w", err)
	}
	return nil
}

func promptName(prompt, variant string) string {
	if variant != "" {
		return prompt + "." + variant
	}
	return prompt
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	if sha == "" {
		return "?"
	}
	return sha
}

func orNobody(owner string) string {
	if owner == "" {
		return "(no owner)"
	}
	return owner
}

func joinList(s []string) string { return strings.Join(s, ", ") }

func percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f*100), "0"), ".") + "%"
}

func usd(v float64, known bool) string {
	switch {
	case !known:
		return "unknown"
	case v == 0:
		return "$0"
	case math.Abs(v) < 0.01:
		return fmt.Sprintf("$%.6f", v)
	default:
		return fmt.Sprintf("$%.2f", v)
	}
}

func usdPtr(v *float64) string {
	if v == nil {
		return "—"
	}
	return usd(*v, true)
}

func budget(p *cost.BudgetPosition) string {
	if p == nil || p.MonthlyUSD <= 0 {
		return "—"
	}
	return fmt.Sprintf("%s of %s (%s)", usd(p.ProjectedUSD, true), usd(p.MonthlyUSD, true), percent(p.Fraction))
}

// vars renders a case's vars as compact JSON, for the row's detail.
func vars(v map[string]any) string {
	if len(v) == 0 {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// trendChart draws a prompt's pass rate (0..100%) and cost per 1k requests
// (0..max) over its points, oldest first.
func trendChart(t verdict.Trend) TrendChart {
	var rates, costs []float64
	var rateText, costText []string
	for _, pt := range t.Points {
		label := short(pt.SHA)
		if pt.Head {
			label = "this PR"
		}
		if r := pt.Record.PassRate; r != nil {
			rates = append(rates, *r)
			rateText = append(rateText, label+": "+percent(*r))
		}
		if c := pt.Record.CostPer1K; c != nil {
			costs = append(costs, *c)
			costText = append(costText, label+": "+usd(*c, true))
		}
	}
	top := 0.0
	for _, c := range costs {
		top = max(top, c)
	}
	return TrendChart{Key: t.Key,
		PassRate: Chart{Label: "pass rate", Points: polyline(rates, 1), Values: rateText},
		Cost:     Chart{Label: "cost per 1k requests", Points: polyline(costs, top), Values: costText}}
}

// polyline maps values in [0, top] onto a 300×80 box (y grows downwards).
func polyline(vs []float64, top float64) string {
	if len(vs) == 0 {
		return ""
	}
	if top <= 0 {
		top = 1
	}
	var b strings.Builder
	for i, v := range vs {
		x := 150.0
		if len(vs) > 1 {
			x = 10 + 280*float64(i)/float64(len(vs)-1)
		}
		y := 75 - 70*min(max(v/top, 0), 1)
		fmt.Fprintf(&b, "%.1f,%.1f ", x, y)
	}
	return strings.TrimSpace(b.String())
}
