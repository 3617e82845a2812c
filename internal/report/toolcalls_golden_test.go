package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/golden"
	"github.com/promptgate/promptgate/internal/testkit/mdcheck"
)

// orderStatusSuite is an order-status suite of two tool-loop cases: one the
// model answered after looking the order up and tracking it, and one whose
// loop ended at a call the test gave no result for. shipped is the first
// case's calls.
func orderStatusSuite(shipped []eval.ToolCall, status eval.Status, output string) *eval.SuiteResult {
	s := suiteOf("evals/support/order-status.yaml", "support/order-status", "", "small", 0.8, 900*time.Millisecond,
		run{status, output}, run{eval.StatusPass, `[{"id":"call_9","type":"function","function":{"name":"lookup_order","arguments":"{}"}}]`})
	s.Cases[0].ToolCalls, s.Cases[0].Turns = shipped, len(shipped)+1
	if status == eval.StatusFail {
		s.Cases[0].Reason = "Expected a call to track_shipment with arguments {\"carrier\":\"DHL\"}"
	}
	s.Cases[1].ToolCalls = []eval.ToolCall{{Turn: 1, ID: "call_9", Name: "lookup_order", Arguments: `{}`}}
	s.Cases[1].Turns = 1
	return s
}

var (
	lookup = eval.ToolCall{Turn: 1, ID: "call_1", Name: "lookup_order", Arguments: `{"order_id":"ORD-482913"}`,
		Result: `{"carrier":"DHL","status":"shipped","tracking_number":"JJD0146000038"}`, Answered: true}
	track = eval.ToolCall{Turn: 2, ID: "call_2", Name: "track_shipment", Arguments: `{"carrier":"DHL","tracking_number":"JJD0146000038"}`,
		Result: `{"estimated_delivery":"2026-11-28","status":"in_transit"}`, Answered: true}
	// trackHostile is what a head model wrote instead: markup, a mention and
	// a pipe in its arguments, which the report must keep inert.
	trackHostile = eval.ToolCall{Turn: 2, ID: "call_2", Name: "track_shipment", Arguments: "{\"carrier\":\"@octocat | `UPS` <b>\",\"tracking_number\":\"ORD-482913\"}",
		Result: `{"error":"unknown tracking number"}`, Answered: true}
)

// TestEvalJSONToolCallsGolden pins the JSON report's tool_calls and turns:
// each call's turn, id, name, arguments, result and whether a result was
// given, and the model calls the case took.
func TestEvalJSONToolCallsGolden(t *testing.T) {
	t.Parallel()
	rep := &eval.Report{Suites: []*eval.SuiteResult{orderStatusSuite([]eval.ToolCall{lookup, track}, eval.StatusPass, "It should arrive on 28 November.")}}
	var b bytes.Buffer
	if err := WriteEval(&b, rep, "json"); err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "eval_tools.json", b.Bytes())

	// The fields read back as they were written.
	var back eval.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	got := back.Suites[0].Cases
	if len(got[0].ToolCalls) != 2 || got[0].ToolCalls[1] != track || got[0].Turns != 3 || got[1].ToolCalls[0].Answered {
		t.Errorf("read back: %+v", got)
	}
}

// TestDiffToolCallsGolden pins the check's markdown for a case that passed at
// base and fails at head: base's and head's tool calls side by side, the
// head model's markup kept inside code spans.
func TestDiffToolCallsGolden(t *testing.T) {
	t.Parallel()
	c := mustParse(t, testConfig)
	base := &eval.Report{Suites: []*eval.SuiteResult{orderStatusSuite([]eval.ToolCall{lookup, track}, eval.StatusPass, "It should arrive on 28 November.")}}
	head := &eval.Report{Suites: []*eval.SuiteResult{orderStatusSuite([]eval.ToolCall{lookup, trackHostile}, eval.StatusFail, "I could not track it.")}}
	r := confirmed(verdict.Input{
		Base:     verdict.Side{Report: base, Config: c, Prices: testPrices()},
		Head:     verdict.Side{Report: head, Config: c, Prices: testPrices()},
		Affected: map[string][]string{"support/order-status": {"tool track_shipment changed"}},
	})
	got := render(t, r, DiffOptions{FullReportHint: hint})
	// The section GitHub renders from the calls: a three-column table with
	// nothing live in it (mdcheck knows code spans, checkMarkdown does not).
	_, section, _ := strings.Cut(got, "**Tool calls**")
	section, _, _ = strings.Cut(section, "</details>")
	if live := mdcheck.Live(section); len(live) > 0 {
		t.Errorf("tool calls render live markdown %v:\n%s", live, section)
	}
	for _, line := range strings.Split(strings.TrimSpace(section), "\n") {
		if n := len(unescapedPipe.FindAllString(line, -1)); n != 4 {
			t.Errorf("tool call row has %d separators, want 4: %q", n, line)
		}
	}
	for _, want := range []string{
		"**Tool calls**",
		"| 2 | `turn 2: track_shipment({\"carrier\":\"DHL\",\"tracking_number\":\"JJD0146000038\"}) → {\"estimated_delivery\":\"2026-11-28\",\"status\":\"in_transit\"}` |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("rendering lacks %q", want)
		}
	}
	golden.Assert(t, "diff_tools.md", []byte(got))
}
