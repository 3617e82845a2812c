package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestEvalOutputByExtension writes one run to every -o/--output format and
// reads each back with its own decoder.
func TestEvalOutputByExtension(t *testing.T) {
	t.Parallel()
	srv := llmfake.New(llmfake.Options{})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":  "providers:\n  default:\n    base_url: " + ts.URL + "/v1\n",
		"prompts/p.prompt": "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\nSay {{text}}\n",
		"evals/s.yaml":     "prompt: p\nthreshold: 0.5\ntests:\n  - description: one\n    vars: {text: '=cmd()'}\n    assert: [{type: contains, value: cmd}]\n  - description: two\n    vars: {text: '<script>x</script>'}\n    assert: [{type: contains, value: nope}]\n",
	})
	var stdout, stderr bytes.Buffer
	at := func(name string) string { return filepath.Join(dir, name) }
	args := []string{"eval", "-C", dir, "--quiet", "--cache-dir", t.TempDir(),
		"-o", at("r.html"), "--output", at("r.json"), "-o", at("r.csv"), "-o", at("r.xml"), "-o", at("r.md")}
	env := func(k string) string {
		if k == "OPENAI_API_KEY" {
			return "sk-test"
		}
		return ""
	}
	code := Main(context.Background(), args, env, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstderr:\n%s\nproblems: %v", code, stderr.String(), srv.Problems())
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("-o %s: %v", name, err)
		}
		return b
	}
	var rep eval.Report
	if err := json.Unmarshal(read("r.json"), &rep); err != nil || len(rep.Suites) != 1 || len(rep.Suites[0].Cases) != 2 {
		t.Errorf("r.json: %v, %+v", err, rep)
	}
	rows, err := csv.NewReader(bytes.NewReader(read("r.csv"))).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("r.csv: %v, %d rows", err, len(rows))
	}
	if rows[0][12] != "output" || !strings.Contains(rows[1][12], "=cmd()") {
		t.Errorf("CSV header %q, first output %q", rows[0], rows[1][12])
	}
	if err := xml.Unmarshal(read("r.xml"), new(struct{})); err != nil {
		t.Errorf("r.xml is not XML: %v", err)
	}
	if md := string(read("r.md")); !strings.Contains(md, "| suite") {
		t.Errorf("r.md is not the markdown table:\n%s", md)
	}
	html := string(read("r.html"))
	if !strings.Contains(html, "<!DOCTYPE html>") || strings.Contains(html, "<script>x</script>") || !strings.Contains(html, "&lt;script&gt;x&lt;/script&gt;") {
		t.Errorf("r.html is not the escaped page")
	}
}

func TestOutputAndViewRefuseBadInput(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"notes.json": `{"hello": 1}`, "broken.json": "{", "r.pdf": "x"})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"eval unknown extension", []string{"eval", "-o", "r.pdf"}, "unknown extension"},
		{"check cannot write csv", []string{"check", "--base", "main", "-o", "r.csv"}, "check cannot write csv"},
		{"view not a report", []string{"view", filepath.Join(dir, "notes.json")}, "neither an eval JSON report nor a check JSON report"},
		{"view broken JSON", []string{"view", filepath.Join(dir, "broken.json")}, "is not a JSON report"},
		{"view wrong kind", []string{"view", filepath.Join(dir, "r.pdf")}, "want an .html or .json report"},
		{"view missing", []string{"view", filepath.Join(dir, "none.html")}, "no such file"},
		{"view two files", []string{"view", "a.html", "b.html"}, "name one report"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != ExitBadInput || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr.String(), tt.want)
			}
		})
	}
}
