package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

func TestParseEnvFile(t *testing.T) {
	t.Parallel()
	got, err := parseEnvFile("# keys\nOPENAI_API_KEY=sk-1\nexport OPENAI_BASE_URL = \"http://127.0.0.1:1/v1\"\n\nA='x # y'\nB=plain # note\nEMPTY=\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"OPENAI_API_KEY": "sk-1", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "A": "x # y", "B": "plain", "EMPTY": ""}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if _, err := parseEnvFile("OK=1\nnot a pair\n"); err == nil || !strings.HasPrefix(err.Error(), "2:") {
		t.Errorf("err = %v, want one naming line 2", err)
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1\n", "export B='2'\n#c\n", "=x", "K=\"unterminated", "\x00=\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		vars, err := parseEnvFile(s)
		if err == nil {
			for k := range vars {
				if k == "" || strings.ContainsAny(k, " \t\"'=") {
					t.Fatalf("bad key %q from %q", k, s)
				}
			}
		}
	})
}

// TestPromptfooHabits runs promptfoo's eval flags against the chat fake and
// counts the calls each makes.
func TestPromptfooHabits(t *testing.T) {
	t.Parallel()
	srv := llmfake.New(llmfake.Options{APIKey: "sk-env"})
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	suite := "prompt: p\ntests:\n" +
		"  - description: alpha passes\n    vars: {text: a}\n    assert: [{type: contains, value: a}]\n" +
		"  - description: beta fails\n    vars: {text: b}\n    assert: [{type: contains, value: zzz}]\n" +
		"  - description: alpha again\n    vars: {text: c}\n    assert: [{type: contains, value: c}]\n"
	writeFiles(t, dir, map[string]string{
		"promptgate.yaml":  "providers:\n  default:\n    base_url: " + ts.URL + "/v1\n",
		"prompts/p.prompt": "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\n{{text}}\n",
		"evals/s.yaml":     suite,
		".env":             "OPENAI_API_KEY=sk-env\n",
	})
	first := filepath.Join(dir, "first.json")
	run := func(args ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		base := []string{"eval", "-C", dir, "--quiet", "--no-cache", "--env-file", filepath.Join(dir, ".env")}
		code := Main(context.Background(), append(base, args...), func(string) string { return "" }, &stdout, &stderr)
		return code, stderr.String()
	}
	tests := []struct {
		name  string
		args  []string
		calls int64
		code  int
	}{
		{"env file gives the key", []string{"-o", first}, 3, ExitGateFail},
		{"repeat", []string{"--repeat", "2"}, 6, ExitGateFail},
		{"filter pattern", []string{"--filter-pattern", "^alpha"}, 2, ExitOK},
		{"first n", []string{"--filter-first-n", "1", "--max-concurrency", "1"}, 1, ExitOK},
		{"failing from an earlier report", []string{"--filter-failing", first}, 1, ExitGateFail},
	}
	for _, tt := range tests { // in order: the last reads the first's report
		before := srv.Requests.Load()
		code, stderr := run(tt.args...)
		if got := srv.Requests.Load() - before; code != tt.code || got != tt.calls {
			t.Errorf("%s: exit %d with %d calls, want %d with %d\n%s", tt.name, code, got, tt.code, tt.calls, stderr)
		}
	}
	var rep eval.Report
	b, _ := os.ReadFile(first)
	if err := json.Unmarshal(b, &rep); err != nil || rep.Suites[0].Failed != 1 {
		t.Errorf("first report: %v", err)
	}
	if code, stderr := run("--filter-pattern", "nothing-matches"); code != ExitBadInput || !strings.Contains(stderr, "leave no case") {
		t.Errorf("empty filter: exit %d\n%s", code, stderr)
	}
	if len(srv.Problems()) > 0 {
		t.Errorf("fake saw bad requests: %v", srv.Problems())
	}
}
