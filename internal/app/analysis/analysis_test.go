package analysis

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/common/model"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

func ptr(v float64) *float64 { return &v }

func TestJudge(t *testing.T) {
	t.Parallel()
	ok := func(v float64) Value { return Value{V: v, OK: true} }
	none := Value{Note: "no data"}
	tests := []struct {
		name            string
		metric          config.AnalysisMetric
		stable, rollout Value
		want            Verdict
		limit           float64
	}{
		{"increase within", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, ok(0.01), ok(0.014), Pass, 0.015},
		{"increase over", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, ok(0.01), ok(0.02), Fail, 0.015},
		{"increase from zero", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, ok(0), ok(0.001), Fail, 0},
		{"both zero", config.AnalysisMetric{MaxIncreasePct: ptr(0)}, ok(0), ok(0), Pass, 0},
		{"negative stable", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, ok(-2), ok(-1.5), Pass, -1},
		{"increase, no stable", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, none, ok(0.01), Inconclusive, 0},
		{"increase, no rollout", config.AnalysisMetric{MaxIncreasePct: ptr(50)}, ok(0.01), none, Inconclusive, 0.015},
		{"max within", config.AnalysisMetric{Max: ptr(2)}, none, ok(2), Pass, 2},
		{"max over", config.AnalysisMetric{Max: ptr(2)}, ok(1), ok(2.1), Fail, 2},
		{"max inf", config.AnalysisMetric{Max: ptr(2)}, ok(1), ok(math.Inf(1)), Fail, 2},
		{"min under", config.AnalysisMetric{Min: ptr(1)}, ok(5), ok(0.5), Fail, 1},
		{"min met", config.AnalysisMetric{Min: ptr(1)}, ok(5), ok(1), Pass, 1},
		{"min, no rollout", config.AnalysisMetric{Min: ptr(1)}, ok(5), none, Inconclusive, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Row{Metric: tt.metric, Stable: tt.stable, Rollout: tt.rollout}
			judge(&r)
			if r.Verdict != tt.want || math.Abs(r.Limit-tt.limit) > 1e-12 {
				t.Errorf("verdict %s limit %g, want %s limit %g (note %q)", r.Verdict, r.Limit, tt.want, tt.limit, r.Note)
			}
			if (r.Verdict == Inconclusive) != (r.Note != "") {
				t.Errorf("note %q with verdict %s", r.Note, r.Verdict)
			}
		})
	}
}

func TestValue(t *testing.T) {
	t.Parallel()
	sample := func(v float64) *model.Sample { return &model.Sample{Value: model.SampleValue(v)} }
	tests := []struct {
		name string
		in   model.Value
		want Value
	}{
		{"scalar", &model.Scalar{Value: 3}, Value{V: 3, OK: true}},
		{"one sample", model.Vector{sample(0.5)}, Value{V: 0.5, OK: true}},
		{"empty", model.Vector{}, Value{Note: "no data"}},
		{"nan", model.Vector{sample(math.NaN())}, Value{Note: "NaN (no traffic?)"}},
		{"two series", model.Vector{sample(1), sample(2)}, Value{Note: "2 series; aggregate the query to one, e.g. with sum()"}},
		{"matrix", model.Matrix{}, Value{Note: "a matrix result; the query must return a scalar or one series"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, value(tt.in)); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarkdown(t *testing.T) {
	t.Parallel()
	r := Result{Flag: "summarize", Stable: "stable", Rollout: "canary", Rows: []Row{
		{Metric: config.AnalysisMetric{Name: "error_rate", MaxIncreasePct: ptr(50)}, Stable: Value{V: 0.01, OK: true}, Rollout: Value{V: 0.02, OK: true}, Limit: 0.015, Verdict: Fail},
		{Metric: config.AnalysisMetric{Name: "p95_latency|s", Max: ptr(2.5)}, Stable: Value{V: 0.25, OK: true}, Rollout: Value{V: 0.5, OK: true}, Limit: 2.5, Verdict: Pass},
		{Metric: config.AnalysisMetric{Name: "requests", Min: ptr(1)}, Stable: Value{V: 10, OK: true}, Rollout: Value{Note: "no data"}, Limit: 1, Verdict: Inconclusive, Note: "rollout: <b>no</b> data @team"},
	}}
	golden.Assert(t, "analysis.md", r.Markdown()+"\n")
	if r.Passed() {
		t.Error("Passed() with a failed metric")
	}
}

func TestRunUnreachable(t *testing.T) {
	t.Parallel()
	a, err := New("http://127.0.0.1:1", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := a.Run(ctx, []config.AnalysisMetric{{Name: "e", Query: `x{v="{{variant}}"}`, Max: ptr(1)}}, "f", "a", "b")
	if res.Passed() || res.Rows[0].Verdict != Inconclusive {
		t.Fatalf("unreachable Prometheus gave %+v, want inconclusive", res.Rows)
	}
}
