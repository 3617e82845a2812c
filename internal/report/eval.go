// Package report renders eval results and base-vs-head diffs for people: terminal
// tables, GitHub markdown, JSON and JUnit XML. Escaping of untrusted text lives in
// mdsafe, which the App shares.
package report

import (
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Formats lists the output formats of `promptgate eval --format`.
var Formats = []string{"table", "json", "markdown", "junit"}

// WriteEval renders an eval report in the given format.
func WriteEval(w io.Writer, rep *eval.Report, format string) error {
	switch format {
	case "", "table":
		return evalTable(w, rep, false)
	case "markdown", "md":
		return evalTable(w, rep, true)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "junit":
		return evalJUnit(w, rep)
	default:
		return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
	}
}

// NewTable returns a tablewriter table in promptgate's style: GitHub markdown when
// markdown is set, box drawing otherwise.
func NewTable(w io.Writer, markdown bool) *tablewriter.Table {
	opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithRowAutoWrap(tw.WrapNone)}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()), tablewriter.WithHeaderAlignment(tw.AlignLeft))
	}
	return tablewriter.NewTable(w, opts...)
}

func evalTable(w io.Writer, rep *eval.Report, markdown bool) error {
	cell := func(s string) string { return s }
	if markdown {
		cell = mdsafe.Inline
	}
	t := NewTable(w, markdown)
	t.Header("suite", "prompt", "pass", "fail", "error", "skip", "pass rate", "threshold", "in tok", "out tok", "p50", "p95", "cost")
	for _, s := range rep.Suites {
		status := "✅"
		if !s.MeetsThreshold() || s.Errored > 0 || s.Skipped > 0 {
			status = "❌"
		}
		name := s.Prompt
		if s.Variant != "" {
			name += "." + s.Variant
		}
		if err := t.Append(cell(s.Path), cell(name+"@"+s.PromptHash),
			fmt.Sprint(s.Passed), fmt.Sprint(s.Failed), fmt.Sprint(s.Errored), fmt.Sprint(s.Skipped),
			status+" "+PassRate(s), Percent(s.Threshold),
			fmt.Sprintf("%.0f", s.MeanInputTokens), fmt.Sprintf("%.0f", s.MeanOutputTokens),
			Millis(s.LatencyP50), Millis(s.LatencyP95), USD(s.CostUSD, s.CostKnown)); err != nil {
			return fmt.Errorf("render table: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	var fails []string
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			if c.Status == eval.StatusPass || c.Status == eval.StatusSkipped {
				continue
			}
			why := c.Reason
			if c.Status == eval.StatusError {
				why = c.Error
			}
			fails = append(fails, fmt.Sprintf("%s:%d: %s %q: %s", s.Path, c.Line, c.Status, c.Description, mdsafe.Truncate(oneLine(why), 300)))
		}
	}
	fails = append(fails, skippedLines(rep)...)
	for _, s := range rep.Suites {
		if note := s.NotGradedNote(); note != "" {
			fails = append(fails, fmt.Sprintf("%s: %s", s.Path, note))
		}
	}
	if len(fails) > 0 {
		fmt.Fprintln(w)
		if markdown {
			fmt.Fprintln(w, "<details><summary>Failing and errored cases</summary>")
			fmt.Fprintln(w)
			fmt.Fprintln(w, mdsafe.Block(strings.Join(fails, "\n")))
			fmt.Fprintln(w, "</details>")
		} else {
			fmt.Fprintln(w, strings.Join(fails, "\n"))
		}
	}
	if err := writeOwners(w, rep.Owners, markdown); err != nil {
		return err
	}
	if err := writeCandidates(w, rep.Candidates, markdown); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%d model calls, %d cache hits, %s\n", rep.Calls, rep.CacheHits, rep.Duration.Round(time.Millisecond))
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return nil
}

// skippedLines says once per reason why runs were skipped: a missing key
// skips every case for the same reason, and 49 identical lines would bury
// the one thing to do. A reason shared by one run keeps its own line.
func skippedLines(rep *eval.Report) []string {
	var lines []string
	for _, g := range eval.SkipGroups(rep) {
		if g.Runs == 1 {
			lines = append(lines, fmt.Sprintf("%s:%d: skipped %q: %s", g.FirstPath, g.FirstLine, g.FirstCase, mdsafe.Truncate(oneLine(g.Reason), 300)))
			continue
		}
		suites := "1 suite"
		if len(g.Suites) > 1 {
			suites = fmt.Sprintf("%d suites", len(g.Suites))
		}
		lines = append(lines, fmt.Sprintf("skipped %d case runs in %s: %s (first: %s:%d)", g.Runs, suites,
			mdsafe.Truncate(oneLine(g.Reason), 300), g.FirstPath, g.FirstLine))
	}
	return lines
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// PassRate formats a suite's pass rate as "9/10 (90%)", or "n/a" when nothing was graded.
func PassRate(s *eval.SuiteResult) string {
	errs := ""
	if s.Errored > 0 {
		// Errors are neither passes nor fails, but never hidden: "3/3 (100%)"
		// beside a ❌ reads as a pass.
		errs = fmt.Sprintf(" + %d errored", s.Errored)
	}
	if s.NotGraded > 0 {
		errs += fmt.Sprintf(" + %d not graded", s.NotGraded)
	}
	if s.Graded() == 0 {
		return "n/a" + errs
	}
	return fmt.Sprintf("%d/%d (%s)%s", s.Passed, s.Graded(), Percent(s.PassRate()), errs)
}

// Percent formats a fraction as a percentage.
func Percent(f float64) string {
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", f*100), "0"), ".") + "%"
}

// Millis formats a duration in whole milliseconds.
func Millis(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// USD formats a dollar amount, or "unknown" when it cannot be priced.
func USD(v float64, known bool) string {
	switch {
	case !known:
		return "unknown"
	case v == 0:
		return "$0"
	case v < 0.01:
		return fmt.Sprintf("$%.6f", v)
	case v < 100:
		return fmt.Sprintf("$%.2f", v)
	default:
		return fmt.Sprintf("$%.0f", v)
	}
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr"`
	Line      int           `xml:"line,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func evalJUnit(w io.Writer, rep *eval.Report) error {
	out := junitSuites{}
	for _, s := range rep.Suites {
		js := junitSuite{Name: s.Path, Tests: len(s.Cases), Failures: s.Failed, Errors: s.Errored}
		var total time.Duration
		for _, c := range s.Cases {
			total += c.Latency
			name := c.Description
			if c.Repeat > 0 {
				name += fmt.Sprintf(" (repeat %d)", c.Repeat+1)
			}
			jc := junitCase{Name: name, Classname: s.Prompt, File: s.Path, Line: c.Line, Time: seconds(c.Latency)}
			switch c.Status {
			case eval.StatusFail:
				jc.Failure = &junitProblem{Message: mdsafe.Truncate(oneLine(c.Reason), 500), Body: c.Output}
			case eval.StatusError:
				jc.Error = &junitProblem{Message: mdsafe.Truncate(oneLine(c.Error), 500)}
			case eval.StatusNotGraded, eval.StatusSkipped:
				jc.Skipped = &junitProblem{Message: mdsafe.Truncate(oneLine(cmp.Or(c.Reason, c.Error)), 500)}
			}
			js.Cases = append(js.Cases, jc)
		}
		js.Time = seconds(total)
		out.Tests += js.Tests
		out.Failures += js.Failures
		out.Errors += js.Errors
		out.Suites = append(out.Suites, js)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("encode junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// FormatOK checks an eval output format name.
func FormatOK(format string) (string, error) {
	for _, f := range Formats {
		if f == format || (format == "md" && f == "markdown") {
			return f, nil
		}
	}
	return "", fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}
