package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr(v float64) *float64 { return &v }

func TestParseAnalysis(t *testing.T) {
	t.Parallel()
	in := `rollout:
  prometheus_url: http://prometheus:9090/
  analysis:
    - name: error_rate
      query: sum(rate(errors_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{ variant }}"}[5m]))
      max_increase_pct: 10
    - name: p95_latency_seconds
      query: histogram_quantile(0.95, sum by (le) (rate(latency_bucket{feature_flag_result_variant="{{variant}}"}[5m])))
      max: 2.5
    - name: requests
      query: sum(rate(requests_total{feature_flag_result_variant="{{variant}}"}[5m]))
      min: 0.1
`
	c, err := Parse([]byte(in), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Rollout.PrometheusURL != "http://prometheus:9090" {
		t.Errorf("prometheus_url = %q, want the trailing slash trimmed", c.Rollout.PrometheusURL)
	}
	want := []AnalysisMetric{
		{Name: "error_rate", Query: `sum(rate(errors_total{feature_flag_key="{{flag}}",feature_flag_result_variant="{{ variant }}"}[5m]))`, MaxIncreasePct: ptr(10)},
		{Name: "p95_latency_seconds", Query: `histogram_quantile(0.95, sum by (le) (rate(latency_bucket{feature_flag_result_variant="{{variant}}"}[5m])))`, Max: ptr(2.5)},
		{Name: "requests", Query: `sum(rate(requests_total{feature_flag_result_variant="{{variant}}"}[5m]))`, Min: ptr(0.1)},
	}
	if diff := cmp.Diff(want, c.Rollout.Analysis); diff != "" {
		t.Errorf("analysis (-want +got):\n%s", diff)
	}
	if got := c.Rollout.Analysis[0].Render("summarize", "canary"); got != `sum(rate(errors_total{feature_flag_key="summarize",feature_flag_result_variant="canary"}[5m]))` {
		t.Errorf("Render = %s", got)
	}
}

func TestRenderEscapesValues(t *testing.T) {
	t.Parallel()
	m := AnalysisMetric{Query: `x{f="{{flag}}",v="{{variant}}"}`}
	got := m.Render(`a"} or vector(1) #`, `b\`)
	want := `x{f="a\"} or vector(1) #",v="b\\"}`
	if got != want {
		t.Errorf("Render = %s, want %s", got, want)
	}
}

// analysisURL starts a promptgate.yaml whose analysis list follows; the error
// cases that use it are in TestParseErrorsNameFileAndLine.
const analysisURL = "rollout:\n  prometheus_url: http://127.0.0.1:9090\n  analysis:\n"

func FuzzParseAnalysis(f *testing.F) {
	f.Add([]byte("rollout:\n  prometheus_url: http://127.0.0.1:9090\n  analysis:\n    - {name: e, query: 'x{v=\"{{variant}}\"}', max_increase_pct: 10}\n"), "f", "canary")
	f.Add([]byte("rollout: {prometheus_url: 'http://p', analysis: [{name: a, query: '{{ variant }}{{flag}}', min: 1}]}\n"), `a"b`, `\`)
	f.Fuzz(func(t *testing.T, data []byte, flag, variant string) {
		c, err := Parse(data, "f.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %q", err)
			}
			return
		}
		for _, m := range c.Rollout.Analysis {
			n := 0
			for _, b := range []*float64{m.Max, m.Min, m.MaxIncreasePct} {
				if b != nil {
					n++
				}
			}
			if n != 1 || m.Name == "" || c.Rollout.PrometheusURL == "" {
				t.Fatalf("valid metric %+v with %d bounds, url %q", m, n, c.Rollout.PrometheusURL)
			}
			if strings.ContainsAny(m.Query, "'`\\") {
				continue // the invariant below reads double-quoted strings only
			}
			q := m.Render(flag, variant)
			if got, want := doubleQuoted(q), doubleQuoted(m.Render("f", "v")); got != want {
				t.Fatalf("Render(%q, %q) made %d double-quoted strings, want %d: %s", flag, variant, got, want, q)
			}
		}
	})
}

// doubleQuoted counts PromQL double-quoted strings, backslash escapes honoured.
func doubleQuoted(q string) int {
	n := 0
	for i := range q {
		if q[i] == '"' && !inDoubleQuotes(q, i) {
			n++
		}
	}
	return n
}
