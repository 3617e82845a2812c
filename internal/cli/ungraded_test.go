package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/golden"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// timings are the figures of a report that vary from run to run; padding
// follows their widths, so runs of padding are folded too.
var (
	timings = regexp.MustCompile(`\b\d+ms\b|\d+(\.\d+)?(ms|s|µs)\n`)
	padding = regexp.MustCompile(` {2,}|─{2,}|-{2,}`)
)

// steady is a rendered report with its timings and padding folded.
func steady(s string) string {
	s = timings.ReplaceAllString(s, "T")
	return padding.ReplaceAllStringFunc(s, func(m string) string { return string([]rune(m)[:1]) })
}

// TestEvalPromptfooUngradedTypes runs a promptfoo config written as users
// write them, with similar, classifier and a defaultTest moderation: the
// config runs (exit 0, not 2), each ungraded type is a warning at its line,
// the other assertions decide their cases, and the case with only similar
// is not graded (never a pass) in the terminal, markdown, JSON, JUnit and
// HTML outputs.
func TestEvalPromptfooUngradedTypes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/promptfoo-ungraded")); err != nil {
		t.Fatal(err)
	}
	model := llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer k"})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "k"}
	at := func(name string) string { return filepath.Join(dir, name) }
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet",
		"-o", at("r.md"), "-o", at("r.json"), "-o", at("r.xml"), "-o", at("r.html")},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, stdout.String(), stderr.String())
	}
	if n := model.Requests(); n != 3 {
		t.Errorf("%d model calls, want 3 (one per test; nothing is sent for the ungraded types)", n)
	}
	golden.Assert(t, "promptfoo_ungraded.stderr", stderr.String())
	golden.Assert(t, "promptfoo_ungraded.txt", steady(stdout.String()))
	read := func(name string) string {
		b, err := os.ReadFile(at(name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	golden.Assert(t, "promptfoo_ungraded.md", steady(read("r.md")))

	var rep eval.Report
	if err := json.Unmarshal([]byte(read("r.json")), &rep); err != nil || len(rep.Suites) != 1 {
		t.Fatalf("r.json: %v", err)
	}
	s := rep.Suites[0]
	if s.Passed != 2 || s.Failed != 0 || s.NotGraded != 1 || s.UngradedAssertions != 6 {
		t.Errorf("JSON totals: passed %d failed %d not graded %d ungraded assertions %d, want 2 0 1 6",
			s.Passed, s.Failed, s.NotGraded, s.UngradedAssertions)
	}
	statuses := map[string]eval.Status{}
	for _, c := range s.Cases {
		statuses[c.Description] = c.Status
	}
	want := map[string]eval.Status{"refund": eval.StatusPass, "shipping": eval.StatusPass, "tone only": eval.StatusNotGraded}
	for d, st := range want {
		if statuses[d] != st {
			t.Errorf("case %q: status %q, want %q", d, statuses[d], st)
		}
	}
	if xml := read("r.xml"); !strings.Contains(xml, `<skipped message="not graded: promptgate grades none of its assertions`) {
		t.Errorf("JUnit does not mark the not-graded case skipped:\n%s", xml)
	}
	html := read("r.html")
	for _, want := range []string{"6 assertion checks not graded", `<div class="side not-graded"><span class="status">not-graded</span>`,
		"not graded: moderation (promptfooconfig.yaml:14), similar (promptfooconfig.yaml:39)"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}

// TestEvalPromptfooTypoInType: a type promptfoo does not have either is a
// typo, refused at its line with did-you-mean, exit 2.
func TestEvalPromptfooTypoInType(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml": "prompts: ['Answer: {{q}}']\nproviders: [openai:chat:gpt-4.1-mini]\ntests:\n  - vars: {q: hi}\n    assert:\n      - type: simlar\n        value: hello\n",
	})
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--no-cache", "--quiet"},
		func(k string) string { return map[string]string{"OPENAI_API_KEY": "k"}[k] }, &stdout, &stderr)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitBadInput, stderr.String())
	}
	if want := "promptfooconfig.yaml:6: unknown assertion type simlar: promptfoo has no such type (did you mean similar?)"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
}

// TestCheckPromptfooUngradedTypes: the check's report counts what it did
// not grade, on both sides, and never as passing.
func TestCheckPromptfooUngradedTypes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/promptfoo-ungraded")); err != nil {
		t.Fatal(err)
	}
	git(t, dir, "init", "-q")
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base := git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/reply.txt": "You answer customer questions kindly.\nQuestion: {{question}}\n"})
	git(t, dir, "commit", "-qam", "head")
	model := llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer k"})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "k"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code == ExitBadInput {
		t.Fatalf("exit 2\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	for _, want := range []string{"| assertion checks not graded | 6", "2/2 (100%) + 1 not graded"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("check report lacks %q:\n%s", want, stdout.String())
		}
	}
}
