package report

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
)

func TestEvalCSVDefusesFormulas(t *testing.T) {
	t.Parallel()
	rep := &eval.Report{Suites: []*eval.SuiteResult{{Path: "evals/s.yaml", Prompt: "p", Cases: []eval.CaseResult{
		{Description: "a", Status: eval.StatusPass, Output: `=HYPERLINK("http://x")`, CostKnown: true, CostUSD: 0.5},
		{Description: "b", Status: eval.StatusFail, Output: "plain", Reason: "@team"},
	}}}}
	var b bytes.Buffer
	if err := WriteEvalCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		row, col int
		want     string
	}{
		{1, 12, `'=HYPERLINK("http://x")`},
		{1, 11, "0.5"},
		{2, 12, "plain"},
		{2, 13, "'@team"},
		{2, 11, ""},
	}
	for _, tt := range tests {
		if got := rows[tt.row][tt.col]; got != tt.want {
			t.Errorf("row %d col %s = %q, want %q", tt.row, rows[0][tt.col], got, tt.want)
		}
	}
}
