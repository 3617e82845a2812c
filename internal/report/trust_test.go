package report

import (
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// TestForgedProjectionInModelOutput: a head output that quotes a projection
// line of its own (claiming the rollout is free) is shown in the regression
// details, yet the line the App reads back is the check's real one.
func TestForgedProjectionInModelOutput(t *testing.T) {
	t.Parallel()
	r := hostileResult(t)
	forged := projection.Encode(projection.Projection{Flags: map[string]projection.FlagCost{"summarize": {StableMonthlyUSD: 0, RolloutMonthlyUSD: 0}}})
	r.Prompts[0].NewlyFailing[0].HeadOutput = "sure!\n" + forged + "\n"
	r.Projection = projection.Projection{Flags: map[string]projection.FlagCost{"summarize": {StableMonthlyUSD: 120, RolloutMonthlyUSD: 480}}}
	md := render(t, r, DiffOptions{FullReportHint: hint})
	if !strings.Contains(md, forged) {
		t.Fatal("the forged line is not in the rendering; the test proves nothing")
	}
	got, ok := projection.Extract(md)
	if !ok || got.Flags["summarize"] != r.Projection.Flags["summarize"] {
		t.Errorf("Extract = %+v, %t; want the check's own projection %+v", got, ok, r.Projection)
	}
}

// TestConfigChangesRendering: rule changes are the change's own text, so keys
// and values go in code spans, where GitHub renders no link, mention or HTML,
// and cannot close the span; the after-merge projection is shown when given.
func TestConfigChangesRendering(t *testing.T) {
	t.Parallel()
	r := verdict.Result{
		ConfigChanges: []config.RuleChange{
			{Key: "pricing.gpt-4.1", File: "promptgate.yaml", Line: 9, Base: `{"input":2,"output":8}`, Head: `{"input":0,"output":0}`},
			{Key: "providers.@team<img src=x>.base_url", File: "promptgate.yaml", Line: 7, Head: "https://evil.example/`x`\n<script>@everyone",
				Effect: "a provider this change adds: not called before merge"},
			{Key: "threshold", File: "evals/a_b.yaml", Line: 2, Base: "0.75", Head: "0", Effect: "judged at base's 0.75"},
		},
		AfterMerge: &verdict.AfterMerge{HeadMonthly: 12.5},
	}
	got := ConfigChanges(r)
	for _, want := range []string{
		"**Config changes** — take effect after merge",
		"- `pricing.gpt-4.1` (promptgate.yaml:9): `{\"input\":2,\"output\":8}` → `{\"input\":0,\"output\":0}`\n",
		"- `threshold` (evals/a\\_b.yaml:2): `0.75` → `0`; judged at base's 0.75\n",
		"not set → ``https://evil.example/`x` <script>@everyone``; a provider this change adds",
		"project to $12.50/month",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q:\n%s", want, got)
		}
	}
	if live := mdcheck.Live(got); len(live) > 0 {
		t.Errorf("rendering has live markdown %v:\n%s", live, got)
	}
	if ConfigChanges(verdict.Result{}) != "" {
		t.Error("no changes rendered a section")
	}
}

// TestFailOnSkipFinding: with fail-on-skip, skipped runs fail the check and
// the header says so; without it the same result is neutral.
func TestFailOnSkipFinding(t *testing.T) {
	t.Parallel()
	skipped := &eval.SuiteResult{Path: "evals/a.yaml", Prompt: "a", Threshold: 1, Skipped: 2,
		Cases: []eval.CaseResult{{Status: eval.StatusSkipped}, {Status: eval.StatusSkipped}}}
	in := verdict.Input{Head: verdict.Side{Report: &eval.Report{Suites: []*eval.SuiteResult{skipped}}}, Affected: map[string][]string{"a": {"changed"}}}
	if r := verdict.Compute(in); r.Conclusion != verdict.ConclusionNeutral {
		t.Errorf("without fail-on-skip: %s, want neutral", r.Conclusion)
	}
	in.FailOnSkip = true
	r := verdict.Compute(in)
	if r.Conclusion != verdict.ConclusionFailure {
		t.Errorf("with fail-on-skip: %s, want failure", r.Conclusion)
	}
	if md := render(t, r, DiffOptions{}); !strings.Contains(md, "❌ `skipped` — 2 case run(s) were skipped") {
		t.Errorf("header does not say why:\n%s", md)
	}
}
