package report

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/action/verdict/verdicttest"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

type run struct {
	status eval.Status
	output string
}

// suiteOf builds a finished suite; case i is "case i" at line 10+4i.
func suiteOf(path, prompt, variant, model string, threshold float64, lat time.Duration, runs ...run) *eval.SuiteResult {
	s := &eval.SuiteResult{Path: path, Prompt: prompt, Variant: variant, Model: model, Threshold: threshold,
		PromptPath: "prompts/" + verdict.PromptKey(prompt, variant) + ".prompt", CostKnown: true,
		MeanInputTokens: 820, MeanOutputTokens: 140, LatencyP50: lat, LatencyP95: lat * 3}
	for i, r := range runs {
		c := eval.CaseResult{Index: i, Description: fmt.Sprintf("case %d", i), Line: 10 + 4*i, Status: r.status,
			Output: r.output, Vars: map[string]any{"article": fmt.Sprintf("text %d", i)}}
		switch r.status {
		case eval.StatusPass:
			s.Passed++
		case eval.StatusFail:
			s.Failed++
			c.Reason = fmt.Sprintf("expected output to contain %q", "refund")
		case eval.StatusError:
			s.Errored++
			c.Error = "429 Too Many Requests after 4 retries"
		}
		s.Cases = append(s.Cases, c)
	}
	return s
}

func mustParse(t *testing.T, src string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(src), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testPrices() *cost.Table {
	return cost.NewTable(map[string]cost.Price{"small": {Input: 0.4, Output: 1.6}, "large": {Input: 2, Output: 8}})
}

const testConfig = `traffic:
  summarize: {requests_per_day: 20000}
  classify: {requests_per_day: 5000}
budget: {monthly_usd: 500}
gate: {max_cost_increase_pct: 20}
`

func normalResult(t *testing.T) verdict.Result {
	c := mustParse(t, testConfig)
	pass := func(o string) run { return run{eval.StatusPass, o} }
	fail := func(o string) run { return run{eval.StatusFail, o} }
	base := &eval.Report{Suites: []*eval.SuiteResult{
		suiteOf("evals/summarize.yaml", "summarize", "", "small", 0.8, 400*time.Millisecond,
			pass("Refund issued."), pass("Your refund is on its way."), pass("We will refund you."), fail("No.")),
		suiteOf("evals/classify.yaml", "classify", "", "small", 0.9, 120*time.Millisecond, pass("billing"), pass("tech")),
		suiteOf("evals/classify.v2.yaml", "classify", "v2", "small", 0.9, 120*time.Millisecond, pass("billing"), pass("tech")),
	}}
	head := &eval.Report{Suites: []*eval.SuiteResult{
		suiteOf("evals/summarize.yaml", "summarize", "", "large", 0.8, 700*time.Millisecond,
			fail("I cannot help with that."), pass("Your refund is on its way."), fail("Please contact support."), pass("Refund done.")),
		suiteOf("evals/classify.yaml", "classify", "", "small", 0.9, 120*time.Millisecond, pass("billing"), pass("tech")),
		suiteOf("evals/classify.v2.yaml", "classify", "v2", "large", 0.9, 90*time.Millisecond, pass("billing"), pass("tech")),
	}}
	return confirmed(verdict.Input{
		Base:     verdict.Side{Report: base, Config: c, Prices: testPrices()},
		Head:     verdict.Side{Report: head, Config: c, Prices: testPrices()},
		Affected: map[string][]string{"summarize": {"prompt changed", "model changed"}, "classify": {"suite changed"}},
		FlagShares: map[string]verdict.FlagShare{
			"classify":    {Flag: "classify-model", Stable: "classify", Rollout: "classify.v2", Pct: 10},
			"classify.v2": {Flag: "classify-model", Stable: "classify", Rollout: "classify.v2", Pct: 10},
		},
	})
}

func hostileResult(t *testing.T) verdict.Result {
	c := mustParse(t, testConfig)
	evil := "| col | break |\n@octocat please look <script>alert(1)</script>\n```\n</details> # 1 [x](javascript:alert(1))\n````"
	s := func(st eval.Status, o string) *eval.SuiteResult {
		r := suiteOf("evals/summarize.yaml", "summarize", "", "small", 0.5, 300*time.Millisecond, run{st, o})
		r.Cases[0].Description = "desc | with <b>html</b> @someone"
		r.Cases[0].Vars = map[string]any{"q": "@admin <img src=x> ```"}
		r.Cases[0].Reason = "expected </summary> and ``` to | break"
		return r
	}
	return confirmed(verdict.Input{
		Base:     verdict.Side{Report: &eval.Report{Suites: []*eval.SuiteResult{s(eval.StatusPass, "fine")}}, Config: c, Prices: testPrices()},
		Head:     verdict.Side{Report: &eval.Report{Suites: []*eval.SuiteResult{s(eval.StatusFail, evil)}}, Config: c, Prices: testPrices()},
		Affected: map[string][]string{"summarize": {"prompt changed @team <i>x</i>"}},
		Skipped:  []string{"model calls for fork PR @someone (no API key)"},
	})
}

func bigResult(t *testing.T, prompts, cases int) verdict.Result {
	c := mustParse(t, testConfig)
	long := strings.Repeat("The model went on and on about refunds | and more. ", 80)
	base, head := &eval.Report{}, &eval.Report{}
	for i := range prompts {
		var b, h []run
		for j := range cases {
			b = append(b, run{eval.StatusPass, long})
			st := eval.StatusPass
			if j%2 == 0 {
				st = eval.StatusFail
			}
			h = append(h, run{st, long})
		}
		name := fmt.Sprintf("prompt%03d", i)
		base.Suites = append(base.Suites, suiteOf("evals/"+name+".yaml", name, "", "small", 0.5, time.Second, b...))
		head.Suites = append(head.Suites, suiteOf("evals/"+name+".yaml", name, "", "large", 0.5, time.Second, h...))
	}
	return confirmed(verdict.Input{Base: verdict.Side{Report: base, Config: c, Prices: testPrices()},
		Head: verdict.Side{Report: head, Config: c, Prices: testPrices()}})
}

// confirmed computes in after confirming its flips as a deterministic model
// would, within the default gate.max_resample.
func confirmed(in verdict.Input) verdict.Result {
	verdicttest.Confirm(&in, config.MaxResampleAuto)
	return verdict.Compute(in)
}

func render(t *testing.T, r verdict.Result, o DiffOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteDiffMarkdown(&b, r, o); err != nil {
		t.Fatalf("WriteDiffMarkdown: %v", err)
	}
	return b.String()
}

var hint = "full report: artifact promptgate-report.json"

func TestWriteDiffMarkdownGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		result func(*testing.T) verdict.Result
		opts   DiffOptions
	}{
		{"diff_normal.md", normalResult, DiffOptions{FullReportHint: hint}},
		{"diff_hostile.md", hostileResult, DiffOptions{FullReportHint: hint}},
		{"diff_nothing.md", func(*testing.T) verdict.Result { return verdict.Compute(verdict.Input{}) }, DiffOptions{}},
		{"diff_big.md", func(t *testing.T) verdict.Result { return bigResult(t, 120, 6) }, DiffOptions{FullReportHint: hint}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := tt.result(t)
			got := render(t, r, tt.opts)
			checkMarkdown(t, got, DefaultDiffMaxBytes)
			if _, ok := projection.Extract(got); !ok {
				t.Errorf("rendering has no readable projection line")
			}
			golden.Assert(t, tt.name, []byte(got))
		})
	}
}

// tableRow matches a markdown table line; escaped pipes are not separators.
var unescapedPipe = regexp.MustCompile(`(^|[^\\])\|`)

// checkMarkdown asserts the safety properties every rendering must have.
func checkMarkdown(t *testing.T, md string, limit int) {
	t.Helper()
	if len(md) > limit {
		t.Errorf("rendering is %d bytes, over the limit %d", len(md), limit)
	}
	// Tables: every row of a table has as many cells as its header.
	cols := -1
	for i, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = -1
			continue
		}
		n := len(unescapedPipe.FindAllString(line, -1))
		if cols < 0 {
			cols = n
		} else if n != cols {
			t.Errorf("line %d: table row has %d separators, header has %d: %q", i+1, n, cols, line)
		}
	}
	// Outside code fences: no raw HTML beyond our own details/summary/sub tags,
	// and no mention GitHub would link.
	inFence := ""
	for i, line := range strings.Split(md, "\n") {
		if f := fenceOf(line); f != "" {
			switch {
			case inFence == "":
				inFence = f
				continue
			case f == inFence && strings.TrimSpace(line) == f:
				inFence = ""
				continue
			}
		}
		if inFence != "" {
			continue
		}
		rest := regexp.MustCompile(`</?(details|summary|sub)>|<!-- promptgate:projection .* -->`).ReplaceAllString(line, "")
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("line %d: raw HTML outside a code block: %q", i+1, line)
		}
		if regexp.MustCompile(`@[A-Za-z0-9]`).MatchString(line) {
			t.Errorf("line %d: live @-mention: %q", i+1, line)
		}
	}
	if inFence != "" {
		t.Errorf("unterminated code fence %q", inFence)
	}
}

func fenceOf(line string) string {
	s := strings.TrimSpace(line)
	n := 0
	for n < len(s) && s[n] == '`' {
		n++
	}
	if n < 3 {
		return ""
	}
	return s[:n]
}

func TestWriteDiffMarkdownDegrades(t *testing.T) {
	t.Parallel()
	r := bigResult(t, 120, 6)
	full := render(t, r, DiffOptions{MaxBytes: 10 << 20, FullReportHint: hint})
	tests := []struct {
		name       string
		limit      int
		wantTables bool
		wantNote   string
	}{
		{"everything fits", len(full), true, ""},
		{"details dropped", 120*1500 + 20000, true, "more regressions not shown — see full report: artifact promptgate-report.json"},
		{"default limit", 0, false, "more regressions not shown"},
		{"overview rows dropped", 6000, false, "more suites not shown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, r, DiffOptions{MaxBytes: tt.limit, FullReportHint: hint})
			limit := tt.limit
			if limit == 0 {
				limit = DefaultDiffMaxBytes
			}
			checkMarkdown(t, got, limit)
			if has := strings.Contains(got, "### `prompt000`"); has != tt.wantTables {
				t.Errorf("per-prompt tables shown = %v, want %v", has, tt.wantTables)
			}
			if tt.wantNote != "" && !strings.Contains(got, tt.wantNote) {
				t.Errorf("missing note %q", tt.wantNote)
			}
			if tt.wantNote == "" && strings.Contains(got, "not shown") {
				t.Errorf("unexpected omission note")
			}
			if !strings.Contains(got, "<!-- promptgate:projection ") {
				t.Errorf("projection line dropped")
			}
		})
	}
}

func TestDiffTitle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		r    func(*testing.T) verdict.Result
		want string
	}{
		{"regressions and cost", normalResult, "promptgate: 2 regressions, 1 suite below threshold, +$1377/month, over budget"},
		{"nothing", func(*testing.T) verdict.Result { return verdict.Compute(verdict.Input{}) }, "promptgate: no LLM changes"},
		{"affected, not evaluated", func(*testing.T) verdict.Result {
			return verdict.Compute(verdict.Input{Affected: map[string][]string{"a": {"changed"}}})
		}, "promptgate: 1 prompt not evaluated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := DiffTitle(tt.r(t)); got != tt.want {
				t.Errorf("DiffTitle = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBudgetLineUnknownCost: the budget line counts the prompts left out of
// the head projection, once, and only those: a prompt priced at head but not at
// base (a new prompt) is in the projection.
func TestBudgetLineUnknownCost(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		headUnknown []string
		want        string
	}{
		{"none", nil, "for the compared prompts.\n"},
		{"one", []string{"a"}, "for the compared prompts · 1 prompt with unknown cost not included.\n"},
		{"two", []string{"a", "b"}, "for the compared prompts · 2 prompts with unknown cost not included.\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := verdict.Result{UnknownCost: []string{"a", "b", "c"}, HeadUnknownCost: tt.headUnknown,
				Budget: cost.BudgetPosition{MonthlyUSD: 100, ProjectedUSD: 10, Fraction: 0.1}}
			var b strings.Builder
			writeBudget(&b, r)
			if !strings.HasSuffix(b.String(), tt.want+"\n") {
				t.Errorf("budget line = %q, want it to end in %q", b.String(), tt.want)
			}
		})
	}
}
