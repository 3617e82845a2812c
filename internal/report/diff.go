package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/projection"
)

// GitHubSummaryLimit is the most characters a check run's output.summary may hold.
const GitHubSummaryLimit = 65535

// DefaultDiffMaxBytes keeps a margin under GitHubSummaryLimit for what a caller
// appends (a sticky-comment marker, a footer). Bytes are counted, which is
// stricter than GitHub's characters.
const DefaultDiffMaxBytes = GitHubSummaryLimit - 1535

// DiffOptions tunes WriteDiffMarkdown.
type DiffOptions struct {
	// MaxBytes bounds the whole rendering; 0 means DefaultDiffMaxBytes.
	MaxBytes int
	// FullReportHint points readers at the unabridged report, e.g.
	// "full report: artifact promptgate-report.json". It is shown whenever
	// something had to be left out, and in the footer.
	FullReportHint string
	// FullReportURL, when set, links FullReportHint there (the workflow run's
	// artifacts). It comes from the runner's environment, never from a PR, and
	// is linked only when it is a plain http(s) URL.
	FullReportURL string
}

// outputLimits are the per-output byte caps tried in turn, longest first.
var outputLimits = []int{2000, 600, 160}

// WriteDiffMarkdown renders a base-vs-head comparison as GitHub markdown: a
// title, the gates that fired, the budget, what was skipped, a table per prompt,
// collapsible details of each regression, and the hidden projection line the
// GitHub App reads. It stays under o.MaxBytes by degrading in steps: shorter
// outputs in the details, then fewer details sections, then one compact overview
// table instead of a table per prompt, then fewer overview rows. A table is
// never cut in the middle, and a note says what was left out.
func WriteDiffMarkdown(w io.Writer, r verdict.Result, o DiffOptions) error {
	limit := o.MaxBytes
	if limit <= 0 {
		limit = DefaultDiffMaxBytes
	}
	head := diffHeader(r)
	foot := diffFooter(r, o)
	regs := regressions(r)

	fits := func(parts ...string) bool {
		n := len(head) + len(foot)
		for _, p := range parts {
			n += len(p)
		}
		return n <= limit
	}

	tables, err := promptTables(r)
	if err != nil {
		return err
	}
	extras, err := extraSections(r)
	if err != nil {
		return err
	}
	short := detailSections(regs, outputLimits[len(outputLimits)-1])
	// Full tables, with the owner, what-if and trend sections while they fit,
	// and as many details as fit at the longest output cap that shows them
	// all; else the shortest cap and as many as fit.
	for _, ex := range []string{extras, extrasNote(extras, o)} {
		for _, max := range outputLimits {
			details := detailSections(regs, max)
			if fits(tables, ex, strings.Join(details, "")) {
				return emit(w, head, tables, ex, strings.Join(details, ""), foot)
			}
		}
		if text, ok := fitDetails(short, func(d string) bool { return fits(tables, ex, d) }, o); ok {
			return emit(w, head, tables, ex, text, foot)
		}
	}
	// Not even the per-prompt tables fit: one row per prompt instead.
	for rows := len(r.Prompts); rows >= 0; rows = shrink(rows) {
		overview, err := overviewTable(r, rows, o)
		if err != nil {
			return err
		}
		if !fits(overview) {
			if rows == 0 {
				return emit(w, head, overview, "", foot)
			}
			continue
		}
		text, _ := fitDetails(short, func(d string) bool { return fits(overview, d) }, o)
		return emit(w, head, overview, text, foot)
	}
	return emit(w, head, "", "", foot)
}

// shrink steps a row count down quickly at first and then one by one, so large
// reports converge in a few renders.
func shrink(n int) int {
	if n > 40 {
		return n * 3 / 4
	}
	return n - 1
}

// fitDetails keeps the longest prefix of details sections that fits, followed by
// a note counting the regressions left out. ok is false when none fit.
func fitDetails(sections []string, fits func(string) bool, o DiffOptions) (string, bool) {
	if len(sections) == 0 {
		return "", fits("")
	}
	text := func(k int) string {
		s := strings.Join(sections[:k], "")
		if k < len(sections) {
			s += omittedNote(len(sections)-k, "regressions", o)
		}
		return s
	}
	if !fits(text(0)) {
		return "", false
	}
	// Binary search the largest k whose text, with its note, fits.
	lo, hi := 0, len(sections)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(text(mid)) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return text(lo), true
}

// extrasNote says the owner, what-if and trend sections were left out.
func extrasNote(extras string, o DiffOptions) string {
	if extras == "" {
		return ""
	}
	where := "the full report"
	if o.FullReportHint != "" {
		where = mdsafe.Inline(o.FullReportHint)
	}
	return fmt.Sprintf("\n_Cost by owner, cheaper models and trends not shown for room — see %s._\n", where)
}

func omittedNote(n int, what string, o DiffOptions) string {
	where := "the full report"
	if o.FullReportHint != "" {
		where = mdsafe.Inline(o.FullReportHint)
	}
	return fmt.Sprintf("\n_%d more %s not shown — see %s._\n", n, what, where)
}

func emit(w io.Writer, parts ...string) error {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(p)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write diff markdown: %w", err)
	}
	return nil
}

// DiffTitle is a one-line headline for the check run and the comment, e.g.
// "promptgate: 2 regressions, +$412/month".
func DiffTitle(r verdict.Result) string {
	var parts []string
	if n := r.Regressions(); n > 0 {
		parts = append(parts, plural(n, "regression", "regressions"))
	}
	if n := worseSuites(r); n > 0 {
		parts = append(parts, plural(n, "suite worse", "suites worse"))
	}
	below, errs := 0, 0
	for _, g := range r.Fired() {
		switch g.Name {
		case verdict.GateThreshold:
			below++
		case verdict.GateErrors:
			errs++
		}
	}
	if below > 0 {
		parts = append(parts, plural(below, "suite below threshold", "suites below threshold"))
	}
	if errs > 0 {
		parts = append(parts, plural(errs, "suite with new errors", "suites with new errors"))
	}
	switch {
	case !r.Evaluated:
		// Nothing graded: the title says so below; "cost unknown" would only repeat it.
	case !r.CostComparable():
		parts = append(parts, "cost unknown")
	case r.MonthlyDelta() != 0 && (r.BaseMonthly != 0 || r.HeadMonthly != 0):
		parts = append(parts, SignedUSD(r.MonthlyDelta())+"/month")
	}
	if r.Budget.Over {
		parts = append(parts, "over budget")
	}
	if len(parts) == 0 {
		switch {
		case len(r.Prompts) == 0:
			parts = append(parts, "no LLM changes")
		case !r.Evaluated:
			parts = append(parts, plural(len(r.Prompts), "prompt not evaluated", "prompts not evaluated"))
		default:
			parts = append(parts, "no regressions")
		}
	}
	return "promptgate: " + strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// SignedUSD formats a cost change with its sign: "+$412", "-$0.50", "±$0".
func SignedUSD(v float64) string {
	switch {
	case v > 0:
		return "+" + USD(v, true)
	case v < 0:
		return "-" + USD(-v, true)
	default:
		return "±$0"
	}
}

// plainURL reports whether u is an http(s) URL with nothing that could end a
// markdown link or start HTML.
func plainURL(u string) bool {
	return (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && !strings.ContainsAny(u, " \t\n()<>[]\"'`\\")
}

func diffFooter(r verdict.Result, o DiffOptions) string {
	var b strings.Builder
	b.WriteString("\n")
	switch {
	case o.FullReportHint != "" && plainURL(o.FullReportURL):
		fmt.Fprintf(&b, "<sub>[%s](%s)</sub>\n\n", mdsafe.Inline(o.FullReportHint), o.FullReportURL)
	case o.FullReportHint != "":
		fmt.Fprintf(&b, "<sub>%s</sub>\n\n", mdsafe.Inline(o.FullReportHint))
	}
	b.WriteString(projection.Encode(r.Projection))
	b.WriteString("\n")
	return b.String()
}
