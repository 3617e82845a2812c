package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// AnalysisMetric is one live metric that must pass before /rollout raises a
// share: a PromQL query templated with {{flag}} and {{variant}}, and exactly one
// bound on the rollout variant's value.
type AnalysisMetric struct {
	Name  string
	Query string
	// Max and Min are absolute bounds; MaxIncreasePct bounds the rollout variant
	// against the stable variant's value. Exactly one is set.
	Max, Min, MaxIncreasePct *float64
}

type rawAnalysisMetric struct {
	Name           string   `yaml:"name"`
	Query          string   `yaml:"query"`
	Max            *float64 `yaml:"max"`
	Min            *float64 `yaml:"min"`
	MaxIncreasePct *float64 `yaml:"max_increase_pct"`
}

// placeholder matches {{flag}} and {{variant}}, spaces inside the braces allowed,
// and any other {{…}} so that a typo is an error instead of a literal in PromQL.
var placeholder = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// promqlString escapes a value for a double-quoted PromQL string, so a flag or
// variant name cannot end the label matcher it is placed in.
var promqlString = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Render fills the query's {{flag}} and {{variant}} for one variant. Values are
// escaped for a double-quoted PromQL string, where the placeholders belong.
func (m AnalysisMetric) Render(flag, variant string) string {
	return placeholder.ReplaceAllStringFunc(m.Query, func(p string) string {
		switch placeholder.FindStringSubmatch(p)[1] {
		case "flag":
			return promqlString.Replace(flag)
		case "variant":
			return promqlString.Replace(variant)
		}
		return p
	})
}

func (v *validator) analysis(c *Config, raw *rawRollout) {
	c.Rollout.PrometheusURL = strings.TrimRight(raw.PrometheusURL, "/")
	if raw.PrometheusURL != "" {
		u, err := url.Parse(raw.PrometheusURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf("rollout.prometheus_url", "rollout.prometheus_url %q must be an http(s) URL", raw.PrometheusURL)
		}
	}
	if len(raw.Analysis) > 0 && raw.PrometheusURL == "" {
		v.errorf("rollout.analysis", "rollout.analysis needs rollout.prometheus_url, the Prometheus server to query")
	}
	seen := map[string]bool{}
	for i, r := range raw.Analysis {
		key := fmt.Sprintf("rollout.analysis.%d", i)
		where := fmt.Sprintf("rollout.analysis[%d]", i)
		if r.Name != "" {
			where += fmt.Sprintf(" (%s)", r.Name)
		}
		switch {
		case r.Name == "":
			v.errorf(key, "%s needs a name", where)
		case seen[r.Name]:
			v.errorf(key, "%s: the name is used twice", where)
		}
		seen[r.Name] = true
		if strings.TrimSpace(r.Query) == "" {
			v.errorf(key, "%s needs a query", where)
		}
		hasVariant := false
		for _, loc := range placeholder.FindAllStringSubmatchIndex(r.Query, -1) {
			m := []string{r.Query[loc[0]:loc[1]], r.Query[loc[2]:loc[3]]}
			if (m[1] == "flag" || m[1] == "variant") && !inDoubleQuotes(r.Query, loc[0]) {
				v.errorf(key, "%s: put %s inside a double-quoted string, such as a label matcher's value", where, m[0])
			}
			switch m[1] {
			case "variant":
				hasVariant = true
			case "flag":
			default:
				v.errorf(key, "%s: unknown placeholder %q in query; use {{flag}} and {{variant}}", where, m[0])
			}
		}
		if r.Query != "" && !hasVariant {
			v.errorf(key, "%s: the query must use {{variant}}, or stable and rollout would get the same value", where)
		}
		bounds := 0
		for _, b := range []*float64{r.Max, r.Min, r.MaxIncreasePct} {
			if b != nil {
				bounds++
			}
		}
		if bounds != 1 {
			v.errorf(key, "%s needs exactly one of max, min or max_increase_pct, got %d", where, bounds)
		}
		if r.MaxIncreasePct != nil && *r.MaxIncreasePct < 0 {
			v.errorf(key, "%s: max_increase_pct must be 0 or more, got %g", where, *r.MaxIncreasePct)
		}
		c.Rollout.Analysis = append(c.Rollout.Analysis, AnalysisMetric{Name: r.Name, Query: r.Query,
			Max: r.Max, Min: r.Min, MaxIncreasePct: r.MaxIncreasePct})
	}
}

// inDoubleQuotes reports whether byte i of a PromQL query lies inside a
// double-quoted string, honouring backslash escapes. Placeholders must, so
// that the escaped value stays a string and cannot add PromQL of its own.
func inDoubleQuotes(q string, i int) bool {
	in := false
	for j := 0; j < i; j++ {
		switch {
		case in && q[j] == '\\':
			j++
		case q[j] == '"':
			in = !in
		}
	}
	return in
}
