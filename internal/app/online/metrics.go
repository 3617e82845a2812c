package online

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the online evaluation's Prometheus metrics. Label values are
// bounded: repo comes from PROMPTGATE_OTLP_TOKENS, flag from the repository's
// online section, variant from its flags file and assertion from its
// assertions, never from what an export says alone. No label ever holds
// production content.
type Metrics struct {
	reg      *prometheus.Registry
	samples  *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	evals    *prometheus.CounterVec
	ignored  *prometheus.CounterVec
	rejected *prometheus.CounterVec
	// throttled counts exports answered 429: over the repository's export rate.
	throttled *prometheus.CounterVec
}

// Reasons a sample or span is ignored, the values of
// promptgate_online_ignored_total's reason label.
const (
	ignoredUnjoined       = "unjoined"
	ignoredUnknownFlag    = "unknown_flag"
	ignoredUnknownVariant = "unknown_variant"
	ignoredNoConfig       = "no_config"
)

// NewMetrics registers the online metrics, with Go runtime and process
// metrics, in a registry of their own.
func NewMetrics() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.samples = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_samples_total",
		Help: "Production samples seen: GenAI chat spans joined with the evaluation of a flag under online:."},
		[]string{"repo", "flag", "variant"})
	m.dropped = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_dropped_total",
		Help: "Samples picked by sample_rate but not graded, because the grading pool was full."},
		[]string{"repo", "flag", "variant"})
	m.evals = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_evals_total",
		Help: "Assertion results on graded samples; result is pass, fail or error."},
		[]string{"repo", "flag", "variant", "assertion", "result"})
	m.ignored = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_ignored_total",
		Help: "Chat spans not counted as samples: unjoined (no flag evaluation in the trace), unknown_flag " +
			"(no online: entry), unknown_variant (not in the flags file), no_config (the repository's config could not be read)."},
		[]string{"repo", "reason"})
	m.rejected = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_rejected_spans_total",
		Help: "Spans of accepted exports reported back as rejected in OTLP partial_success."},
		[]string{"repo"})
	m.throttled = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "promptgate_online_throttled_exports_total",
		Help: "Exports answered 429 (retry later) because their repository sent more than its export rate."},
		[]string{"repo"})
	m.reg.MustRegister(m.samples, m.dropped, m.evals, m.ignored, m.rejected, m.throttled,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves GET /metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
