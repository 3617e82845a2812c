package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/promptgate/promptgate/internal/eval"
)

// WriteEvalCSV writes one row per case run, as promptfoo's CSV output does:
// suite, prompt, case, status and the figures, then the output and reason.
func WriteEvalCSV(w io.Writer, rep *eval.Report) error {
	cw := csv.NewWriter(w)
	rows := [][]string{{"suite", "line", "prompt", "model", "description", "repeat", "status", "score",
		"input_tokens", "output_tokens", "latency_ms", "cost_usd", "output", "reason", "error"}}
	for _, s := range rep.Suites {
		name := s.Prompt
		if s.Variant != "" {
			name += "." + s.Variant
		}
		for _, c := range s.Cases {
			costText := ""
			if c.CostKnown {
				costText = strconv.FormatFloat(c.CostUSD, 'f', -1, 64)
			}
			rows = append(rows, []string{s.Path, strconv.Itoa(c.Line), name, s.Model, c.Description,
				strconv.Itoa(c.Repeat), string(c.Status), strconv.FormatFloat(c.Score, 'f', -1, 64),
				strconv.Itoa(c.InputTokens), strconv.Itoa(c.OutputTokens), strconv.FormatInt(c.Latency.Milliseconds(), 10),
				costText, csvSafe(c.Output), csvSafe(c.Reason), csvSafe(c.Error)})
		}
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write CSV: %w", err)
	}
	return nil
}

// csvSafe keeps a model's answer from running as a formula when the file is
// opened in a spreadsheet (CSV injection): a leading = + - @ gets a quote.
func csvSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}
