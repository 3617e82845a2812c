package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/webreport"
)

// outputFormats maps an --output file's extension to its format, as
// promptfoo's -o does.
var outputFormats = map[string]string{
	".json": "json", ".html": "html", ".htm": "html", ".csv": "csv",
	".xml": "junit", ".md": "markdown", ".markdown": "markdown", ".txt": "table",
}

// outputFormat is the format an --output file is written in, by extension.
func outputFormat(path string) (string, error) {
	if f, ok := outputFormats[strings.ToLower(filepath.Ext(path))]; ok {
		return f, nil
	}
	return "", fmt.Errorf("--output %s: unknown extension (want .json, .html, .csv, .xml for JUnit, .md or .txt)", path)
}

// checkOutputs validates --output files up front, so a typo costs no model call.
func checkOutputs(cmd string, files []string, allowed ...string) error {
	for _, f := range files {
		format, err := outputFormat(f)
		if err != nil {
			return usageError{msg: cmd + ": " + err.Error()}
		}
		if len(allowed) > 0 && !slices.Contains(allowed, format) {
			return usageError{msg: fmt.Sprintf("%s: --output %s: %s cannot write %s (want %s)", cmd, f, cmd, format, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

// resolveOut places a relative output path in the command's directory.
func resolveOut(env Env, path string) string {
	if env.Dir != "" && !filepath.IsAbs(path) {
		return filepath.Join(env.Dir, path)
	}
	return path
}

// writeEvalOutputs writes the eval report to every --output file, each in
// the format its extension names.
func writeEvalOutputs(env Env, rep *eval.Report, files []string) error {
	for _, f := range files {
		format, err := outputFormat(f)
		if err != nil {
			return usageError{msg: "eval: " + err.Error()}
		}
		var b bytes.Buffer
		switch format {
		case "html":
			err = webreport.Write(&b, webreport.FromEval(rep))
		case "csv":
			err = report.WriteEvalCSV(&b, rep)
		default:
			err = report.WriteEval(&b, rep, format)
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(resolveOut(env, f), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write --output: %w", err)
		}
	}
	return nil
}

// writeCheckOutputs writes a check's outcome to every --output file: the
// self-contained HTML page, the JSON report or the markdown report.
func writeCheckOutputs(env Env, res *check.Outcome, files []string) error {
	for _, f := range files {
		format, err := outputFormat(f)
		if err != nil {
			return usageError{msg: "check: " + err.Error()}
		}
		var b bytes.Buffer
		switch format {
		case "html":
			err = webreport.Write(&b, checkPage(res))
		case "json":
			var out []byte
			out, err = json.MarshalIndent(res, "", "  ")
			b.Write(out)
		case "markdown":
			err = renderOutcome(&b, res, "", report.DiffOptions{MaxBytes: 1 << 30})
		default:
			err = fmt.Errorf("check --output %s: check writes .html, .json or .md", f)
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(resolveOut(env, f), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write --output: %w", err)
		}
	}
	return nil
}

// checkPage is a check outcome as the HTML report shows it.
func checkPage(res *check.Outcome) webreport.Page {
	var problems []string
	for _, p := range res.Problems {
		problems = append(problems, p.Error())
	}
	return webreport.FromCheck(res.Result, res.BaseSHA, res.HeadSHA, problems)
}
