package report

import (
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/golden"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

func f64(v float64) *float64 { return &v }

// loopResult is normalResult with owners, a what-if and trends, some of them
// hostile: an owner with markup and a history SHA that is not hex.
func loopResult(t *testing.T) verdict.Result {
	r := normalResult(t)
	r.Owners = []verdict.OwnerCost{
		{Owner: "@acme/support|<b>x</b>", Prompts: []string{"summarize"}, BaseMonthly: 10, HeadMonthly: 50},
		{Owner: "", Prompts: []string{"classify", "classify.v2"}, BaseMonthly: 1, HeadMonthly: 2, HeadUnknown: []string{"classify.v2"}},
	}
	r.Candidates = []eval.Candidate{{Prompt: "summarize", HeadModel: "large", Model: "small", Passed: 2, Graded: 4, PassRate: 0.5,
		HeadPassRate: 0.5, CostPer1K: f64(0.5), HeadCostPer1K: f64(2.7), Diff: -0.25, DiffLo: -0.74, DiffHi: 0.24, Margin: 2,
		Lost: []eval.CaseRef{{Suite: "evals/summarize.yaml", Line: 10, Description: "</details> @team"}}}}
	hist := []verdict.Recorded{
		{SHA: "0123456789abcdef0123456789abcdef01234567", Prompts: map[string]projection.PromptRecord{"summarize": {PassRate: f64(0.75), CostPer1K: f64(0.552)}}},
		{SHA: "\"]\n```\n<script>", Prompts: map[string]projection.PromptRecord{"summarize": {PassRate: f64(1)}}},
	}
	r.AddTrends(hist, "ffffffffffffffffffffffffffffffffffffffff")
	r.Prompts[0].Flaky = []verdict.CaseChange{
		{Suite: "summarize", SuitePath: "evals/summarize.yaml", Line: 30, Description: "flaky | <b>one</b>", Worse: true, Class: verdict.ClassFlaky, PValue: 0.31,
			UpFront: verdict.Samples{BasePassed: 1, Base: 1, HeadPassed: 0, Head: 1}, Confirm: verdict.Samples{BasePassed: 2, Base: 3, HeadPassed: 2, Head: 3}},
		{Suite: "summarize", SuitePath: "evals/summarize.yaml", Line: 34, Description: "offline", Class: verdict.ClassUnconfirmed, PValue: 1,
			UpFront: verdict.Samples{BasePassed: 0, Base: 1, HeadPassed: 1, Head: 1}},
	}
	return r
}

func TestWriteDiffMarkdownLoopGolden(t *testing.T) {
	t.Parallel()
	got := render(t, loopResult(t), DiffOptions{FullReportHint: hint})
	checkMarkdown(t, got, DefaultDiffMaxBytes)
	for _, want := range []string{"### Cost by owner", "### Cheaper models", "### Trends on the default branch", "title \"summarize: pass rate (%)\"", `["0123456", "?", "PR"]`} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q", want)
		}
	}
	golden.Assert(t, "diff_loop.md", []byte(got))
}

// TestTrendsLeftOutForRoom: when the summary runs short, the owner, what-if
// and trend sections go first, with a note, and the tables stay.
func TestTrendsLeftOutForRoom(t *testing.T) {
	t.Parallel()
	r := loopResult(t)
	full := render(t, r, DiffOptions{FullReportHint: hint})
	extras, err := extraSections(r)
	if err != nil {
		t.Fatal(err)
	}
	got := render(t, r, DiffOptions{FullReportHint: hint, MaxBytes: len(full) - len(extras) + 200})
	if strings.Contains(got, "### Cost by owner") || !strings.Contains(got, "Cost by owner, cheaper models and trends not shown for room") {
		t.Errorf("extras not replaced by a note:\n%s", got)
	}
	if !strings.Contains(got, "### `summarize`") {
		t.Errorf("the prompt tables went before the extras:\n%s", got)
	}
}

func TestMermaidText(t *testing.T) {
	t.Parallel()
	in := "summ\"arize\n```</b>@x"
	got := mermaidText(in)
	if got != "summ_arize_____/b__x" {
		t.Errorf("mermaidText(%q) = %q", in, got)
	}
	var b strings.Builder
	writeTrends(&b, []verdict.Trend{{Key: in, Points: []verdict.TrendPoint{{SHA: "abcdef0123", Record: projection.PromptRecord{PassRate: f64(1)}}, {Head: true}}}})
	if live := mdcheck.Live(strings.ReplaceAll(b.String(), "```mermaid", "")); len(live) > 0 {
		t.Errorf("trend section renders %v:\n%s", live, b.String())
	}
	if strings.Count(b.String(), "```") != 2 {
		t.Errorf("fences broken:\n%s", b.String())
	}
}
