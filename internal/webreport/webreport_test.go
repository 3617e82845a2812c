package webreport

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

func cr(i, rep int, st eval.Status, out string) eval.CaseResult {
	return eval.CaseResult{Index: i, Repeat: rep, Description: "case " + string(rune('a'+i)), Line: 3 + i, Status: st, Output: out}
}

func sample() verdict.Result {
	base := &eval.SuiteResult{Path: "evals/s.yaml", Prompt: "s", Threshold: 1, Passed: 4, Cases: []eval.CaseResult{
		cr(0, 0, eval.StatusPass, "yes"), cr(1, 0, eval.StatusPass, "yes"), cr(1, 1, eval.StatusPass, "yes"), cr(2, 0, eval.StatusPass, "ok")}}
	head := &eval.SuiteResult{Path: "evals/s.yaml", Prompt: "s", Model: "m<1>", Threshold: 1, Passed: 1, Failed: 2, Errored: 1, Cases: []eval.CaseResult{
		cr(0, 0, eval.StatusFail, `<script>alert(1)</script>`), cr(1, 0, eval.StatusPass, "yes"), cr(1, 1, eval.StatusFail, "no"), cr(2, 0, eval.StatusError, "")}}
	head.Cases[3].Error = "call failed: 500"
	rate, c1k := 0.75, 1.5
	return verdict.Result{Conclusion: verdict.ConclusionFailure,
		Prompts: []verdict.PromptDiff{{Key: "s", Prompt: "s", SuitePath: "evals/s.yaml", Base: base, Head: head, HasTraffic: true, RequestsPerDay: 100,
			BaseCostPerReq: 0.001, BaseCostKnown: true, HeadCostPerReq: 0.002, HeadCostKnown: true, BaseMonthly: 3, HeadMonthly: 6}},
		Owners: []verdict.OwnerCost{{Owner: "@org/<team>", Prompts: []string{"s"}, BaseMonthly: 3, HeadMonthly: 6}},
		Trends: []verdict.Trend{{Key: "s", Points: []verdict.TrendPoint{
			{SHA: "aaaaaaaaa", Record: projection.PromptRecord{PassRate: &rate, CostPer1K: &c1k}},
			{SHA: "bbbbbbbbb", Head: true, Record: projection.PromptRecord{PassRate: &rate, CostPer1K: &c1k}}}}},
	}
}

func TestFromCheckClassifiesCases(t *testing.T) {
	t.Parallel()
	p := FromCheck(sample(), "1234567890", "abcdef0123", nil)
	type row struct {
		Desc                      string
		Base, Head                string
		Regressed, Flaky, Failing bool
	}
	var got []row
	for _, c := range p.Sections[0].Cases {
		got = append(got, row{c.Description, c.Base.Status, c.Head.Status, c.Regressed, c.Flaky, c.Failing})
	}
	want := []row{
		{"case a", "pass", "fail", true, false, true},
		{"case b", "pass", "flaky", false, true, true},
		{"case c", "pass", "error", false, false, true},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("case rows (-want +got):\n%s", d)
	}
	if p.Cases != 3 || p.Subtitle != "base 1234567 → head abcdef0" {
		t.Errorf("cases %d, subtitle %q", p.Cases, p.Subtitle)
	}
}

func TestWriteEscapesAndGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := Write(&b, FromCheck(sample(), "1234567890", "abcdef0123", nil)); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, bad := range []string{"<script>alert", "@org/<team>", "m<1>", "http://", "https://"} {
		if strings.Contains(html, bad) {
			t.Errorf("page holds %q unescaped or an outside URL", bad)
		}
	}
	for _, good := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "@org/&lt;team&gt;", "<polyline points=", "script-src 'sha256-"} {
		if !strings.Contains(strings.ReplaceAll(html, "&#39;", "'"), good) {
			t.Errorf("page lacks %q", good)
		}
	}
	golden.Assert(t, "check.html", html)
}

func TestPolylineScales(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		vs   []float64
		top  float64
		want string
	}{
		{"none", nil, 1, ""},
		{"one point in the middle", []float64{0.5}, 1, "150.0,40.0"},
		{"bottom to top", []float64{0, 1}, 1, "10.0,75.0 290.0,5.0"},
		{"clamped", []float64{-1, 2}, 1, "10.0,75.0 290.0,5.0"},
		{"zero top", []float64{0, 0}, 0, "10.0,75.0 290.0,75.0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := polyline(tt.vs, tt.top); got != tt.want {
				t.Errorf("polyline(%v, %v) = %q, want %q", tt.vs, tt.top, got, tt.want)
			}
		})
	}
}
