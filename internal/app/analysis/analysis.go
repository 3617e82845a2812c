// Package analysis compares a flag's rollout variant with its stable variant on
// live metrics before a share is raised: each rollout.analysis query is rendered
// for both variant keys, run against Prometheus's /api/v1/query, and judged
// against its bound. Missing data is inconclusive, never a pass.
package analysis

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"github.com/promptgate/promptgate/internal/config"
)

// DefaultTimeout bounds one query when the caller's context has no sooner deadline.
const DefaultTimeout = 15 * time.Second

// Verdict is one metric's outcome.
type Verdict string

// Verdicts. Only Pass lets a share rise.
const (
	Pass         Verdict = "pass"
	Fail         Verdict = "fail"
	Inconclusive Verdict = "inconclusive"
)

// Value is one query's answer for one variant.
type Value struct {
	V float64
	// OK is false when there was no usable number; Note says why.
	OK   bool
	Note string
}

// Row is one metric's values, bound and verdict.
type Row struct {
	Metric          config.AnalysisMetric
	Stable, Rollout Value
	// Limit is the bound the rollout value was held to, when it could be computed.
	Limit   float64
	Verdict Verdict
	// Note explains an inconclusive verdict.
	Note string
}

// Result is one analysis of a flag.
type Result struct {
	Flag            string
	Stable, Rollout string // variant keys
	Rows            []Row
}

// Passed reports whether every metric passed. An analysis with no metrics passes.
func (r Result) Passed() bool {
	for _, row := range r.Rows {
		if row.Verdict != Pass {
			return false
		}
	}
	return true
}

// Count returns how many rows have verdict v.
func (r Result) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}

// Analyzer runs analyses against one Prometheus server.
type Analyzer struct {
	api promv1.API
	now func() time.Time
}

// New returns an Analyzer for the Prometheus server at url. A nil client means
// http.DefaultClient.
func New(url string, client *http.Client) (*Analyzer, error) {
	if client == nil {
		client = http.DefaultClient
	}
	c, err := promapi.NewClient(promapi.Config{Address: url, Client: client})
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", url, err)
	}
	return &Analyzer{api: promv1.NewAPI(c), now: time.Now}, nil
}

// Run queries every metric for both variants and judges it. Failures to reach
// Prometheus are inconclusive rows, not errors: they must refuse a raise and the
// reply must say why.
func (a *Analyzer) Run(ctx context.Context, metrics []config.AnalysisMetric, flag, stable, rollout string) Result {
	res := Result{Flag: flag, Stable: stable, Rollout: rollout}
	at := a.now()
	for _, m := range metrics {
		row := Row{Metric: m}
		row.Stable = a.query(ctx, m.Render(flag, stable), at)
		row.Rollout = a.query(ctx, m.Render(flag, rollout), at)
		judge(&row)
		res.Rows = append(res.Rows, row)
	}
	return res
}

func (a *Analyzer) query(ctx context.Context, q string, at time.Time) Value {
	ctx, cancel := context.WithTimeout(ctx, DefaultTimeout)
	defer cancel()
	v, _, err := a.api.Query(ctx, q, at)
	if err != nil {
		return Value{Note: "query failed: " + err.Error()}
	}
	return value(v)
}

// value reads one number from a query result: a scalar or a one-sample vector.
func value(v model.Value) Value {
	var f float64
	switch t := v.(type) {
	case *model.Scalar:
		f = float64(t.Value)
	case model.Vector:
		switch len(t) {
		case 0:
			return Value{Note: "no data"}
		case 1:
			f = float64(t[0].Value)
		default:
			return Value{Note: fmt.Sprintf("%d series; aggregate the query to one, e.g. with sum()", len(t))}
		}
	default:
		return Value{Note: fmt.Sprintf("a %s result; the query must return a scalar or one series", v.Type())}
	}
	if math.IsNaN(f) {
		return Value{Note: "NaN (no traffic?)"}
	}
	return Value{V: f, OK: true}
}

// judge sets the row's limit and verdict from its values and bound.
func judge(r *Row) {
	m := r.Metric
	switch {
	case m.MaxIncreasePct != nil:
		if !r.Stable.OK {
			r.Verdict, r.Note = Inconclusive, "stable: "+r.Stable.Note
			return
		}
		r.Limit = r.Stable.V + math.Abs(r.Stable.V)*(*m.MaxIncreasePct/100)
	case m.Max != nil:
		r.Limit = *m.Max
	case m.Min != nil:
		r.Limit = *m.Min
	}
	if !r.Rollout.OK {
		r.Verdict, r.Note = Inconclusive, "rollout: "+r.Rollout.Note
		return
	}
	ok := r.Rollout.V <= r.Limit
	if m.Min != nil {
		ok = r.Rollout.V >= r.Limit
	}
	r.Verdict = Fail
	if ok {
		r.Verdict = Pass
	}
}
