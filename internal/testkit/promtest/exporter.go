package promtest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Metric names the Exporter serves, with the labels feature_flag_key and
// feature_flag_result_variant: the Prometheus-safe forms of OpenFeature's
// feature_flag.key and feature_flag.result.variant.
const (
	RequestsTotal  = "app_requests_total"
	ErrorsTotal    = "app_errors_total"
	CostUSDTotal   = "app_cost_usd_total"
	LatencySeconds = "app_request_duration_seconds"
)

// latencyBuckets are the histogram's upper bounds, in seconds.
var latencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5}

// Traffic is the steady load one variant of one flag serves.
type Traffic struct {
	RequestsPerSec float64
	// ErrorRatio is the share of requests that fail, 0..1.
	ErrorRatio float64
	// Latency is every request's duration; CostUSD each request's cost.
	Latency time.Duration
	CostUSD float64
}

type series struct {
	flag, variant string
	traffic       Traffic
	requests      float64
	errors        float64
	cost          float64
	buckets       []float64 // cumulative counts per latencyBuckets, then +Inf
	sum           float64
	last          time.Time
}

// Exporter is an httptest server that serves per-variant counters in the
// Prometheus text format. Counters grow at the configured rates between
// scrapes, so rate() over them gives the configured traffic back.
type Exporter struct {
	*httptest.Server
	mu     sync.Mutex
	series map[string]*series
	now    func() time.Time
}

// NewExporter starts an exporter; it is closed with the test.
func NewExporter(t testing.TB) *Exporter {
	e := &Exporter{series: map[string]*series{}, now: time.Now}
	e.Server = httptest.NewServer(http.HandlerFunc(e.serve))
	t.Cleanup(e.Close)
	return e
}

// Target is the exporter's host:port, for a scrape config.
func (e *Exporter) Target() string { return strings.TrimPrefix(e.URL, "http://") }

// Set changes the traffic of one variant of a flag from now on; counters keep
// what they have counted so far, as a real process's would.
func (e *Exporter) Set(flag, variant string, tr Traffic) {
	e.mu.Lock()
	defer e.mu.Unlock()
	key := flag + "\x00" + variant
	s, ok := e.series[key]
	if !ok {
		s = &series{flag: flag, variant: variant, buckets: make([]float64, len(latencyBuckets)+1), last: e.now()}
		e.series[key] = s
	}
	e.advance(s, e.now())
	s.traffic = tr
}

// advance adds the traffic since s.last to its counters.
func (e *Exporter) advance(s *series, now time.Time) {
	dt := now.Sub(s.last).Seconds()
	s.last = now
	if dt <= 0 {
		return
	}
	n := s.traffic.RequestsPerSec * dt
	s.requests += n
	s.errors += n * s.traffic.ErrorRatio
	s.cost += n * s.traffic.CostUSD
	lat := s.traffic.Latency.Seconds()
	s.sum += n * lat
	for i := range s.buckets {
		if i == len(latencyBuckets) || lat <= latencyBuckets[i] {
			s.buckets[i] += n
		}
	}
}

func (e *Exporter) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.now()
	keys := make([]string, 0, len(e.series))
	for k := range e.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, name := range []string{RequestsTotal, ErrorsTotal, CostUSDTotal} {
		fmt.Fprintf(&b, "# TYPE %s counter\n", name)
		for _, k := range keys {
			s := e.series[k]
			e.advance(s, now)
			v := map[string]float64{RequestsTotal: s.requests, ErrorsTotal: s.errors, CostUSDTotal: s.cost}[name]
			fmt.Fprintf(&b, "%s{%s} %g\n", name, labels(s, ""), v)
		}
	}
	fmt.Fprintf(&b, "# TYPE %s histogram\n", LatencySeconds)
	for _, k := range keys {
		s := e.series[k]
		for i, c := range s.buckets {
			le := "+Inf"
			if i < len(latencyBuckets) {
				le = fmt.Sprintf("%g", latencyBuckets[i])
			}
			fmt.Fprintf(&b, "%s_bucket{%s} %g\n", LatencySeconds, labels(s, le), c)
		}
		fmt.Fprintf(&b, "%s_sum{%s} %g\n%s_count{%s} %g\n", LatencySeconds, labels(s, ""), s.sum, LatencySeconds, labels(s, ""), s.requests)
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	_, _ = w.Write([]byte(b.String()))
}

func labels(s *series, le string) string {
	l := fmt.Sprintf("feature_flag_key=%q,feature_flag_result_variant=%q", s.flag, s.variant)
	if le != "" {
		l += fmt.Sprintf(",le=%q", le)
	}
	return l
}
