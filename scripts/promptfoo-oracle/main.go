// Command promptfoo-oracle records how the real promptfoo grades promptgate's
// parity cases, so a Go test can hold promptgate's grading to it.
//
// It installs promptfoo@0.121.20 with npm into a cache directory (once),
// starts the test kit's OpenAI-compatible fake (internal/testkit/llmfake) on
// 127.0.0.1, answering each case with the fixed output the case gives (and each llm-rubric grader call
// with the case's fixed judge reply), runs the expanded cases of
// scripts/promptfoo-oracle/cases.yaml through `promptfoo eval` with caching
// off, and writes every case with promptfoo's verdict (pass, score, reason,
// error) to testdata/promptfoo-oracle/oracle.json.
//
// CI never runs this; it runs the Go test (internal/assert/oracle_test.go)
// that grades the same cases with promptgate and compares. Run it from the
// repo root after changing cases.yaml:
//
//	go run ./scripts/promptfoo-oracle
//	go run ./scripts/promptfoo-oracle -npm-dir /tmp/pfo -only regex,holdout
//
// holdout.yaml holds cases written after the grading fixes and recorded once,
// so agreement on them is not the result of tuning.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Version is the promptfoo release the oracle records.
const Version = "0.121.20"

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "promptfoo-oracle:", err)
		os.Exit(1)
	}
}

// Golden is the file the Go test reads.
type Golden struct {
	Promptfoo string   `json:"promptfoo"`
	Cases     []Result `json:"cases"`
}

// Result is one case with promptfoo's verdict on it.
type Result struct {
	Case
	Promptfoo Verdict `json:"verdict"`
}

// Verdict is what promptfoo said about one case.
type Verdict struct {
	// Error is true when promptfoo could not grade the case (it threw, or
	// refused the config); Pass and Score are then meaningless.
	Error     bool        `json:"error,omitempty"`
	Pass      bool        `json:"pass"`
	Score     float64     `json:"score"`
	Reason    string      `json:"reason"`
	LatencyMs float64     `json:"latency_ms"`
	Cost      float64     `json:"cost"`
	Asserts   []Component `json:"asserts,omitempty"`
}

// Component is promptfoo's verdict on one assertion of a case.
type Component struct {
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("promptfoo-oracle", flag.ContinueOnError)
	root := fs.String("C", ".", "repo root")
	cacheDir, _ := os.UserCacheDir()
	npmDir := fs.String("npm-dir", filepath.Join(cacheDir, "promptgate-oracle", "promptfoo-"+Version), "where npm installs promptfoo")
	only := fs.String("only", "", "record only cases whose id starts with one of these comma-separated prefixes (merged into the existing golden)")
	configsOnly := fs.Bool("configs", false, "only re-record the whole configs under testdata/promptfoo-configs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	bin, err := install(ctx, *npmDir, log)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "promptfoo-oracle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	p := &promptfoo{bin: bin, work: work, log: log}
	if err := p.runConfigs(ctx, *root); err != nil || *configsOnly {
		return err
	}
	var cases []Case
	for _, name := range []string{"cases.yaml", "holdout.yaml"} {
		more, err := loadCases(filepath.Join(*root, "scripts/promptfoo-oracle", name))
		if err != nil {
			return err
		}
		cases = append(cases, more...)
	}
	goldenPath := filepath.Join(*root, "testdata/promptfoo-oracle/oracle.json")
	old := map[string]Result{}
	if *only != "" {
		var g Golden
		if data, err := os.ReadFile(goldenPath); err == nil && json.Unmarshal(data, &g) == nil {
			for _, r := range g.Cases {
				old[r.ID] = r
			}
		}
	}
	var batch, solo []Case
	for _, c := range cases {
		switch {
		case !hasAnyPrefix(c.ID, *only):
		case c.Solo:
			solo = append(solo, c)
		default:
			batch = append(batch, c)
		}
	}
	srv, ts := newModel(echoCases(cases))
	defer ts.Close()
	p.baseURL = ts.URL + "/v1"
	verdicts := map[string]Verdict{}
	if len(batch) > 0 {
		if err := p.eval(ctx, "batch", batch, verdicts); err != nil {
			return err
		}
	}
	for _, c := range solo {
		if err := p.eval(ctx, c.ID, []Case{c}, verdicts); err != nil {
			return err
		}
	}
	if problems := srv.Problems(); len(problems) > 0 {
		return fmt.Errorf("echo server got requests it could not answer: %q", problems)
	}
	g := Golden{Promptfoo: Version}
	for _, c := range cases {
		v, ok := verdicts[c.ID]
		if !ok {
			r, had := old[c.ID]
			if !had {
				return fmt.Errorf("no promptfoo verdict for case %s", c.ID)
			}
			v = r.Promptfoo
		}
		g.Cases = append(g.Cases, Result{Case: c, Promptfoo: v})
	}
	data, err := json.MarshalIndent(g, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(goldenPath, append(data, '\n'), 0o644); err != nil {
		return err
	}
	log.Info("wrote golden", "path", goldenPath, "cases", len(g.Cases))
	return nil
}

// install makes sure promptfoo is installed under dir and returns its CLI.
func install(ctx context.Context, dir string, log *slog.Logger) (string, error) {
	bin := filepath.Join(dir, "node_modules", ".bin", "promptfoo")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if _, err := exec.LookPath("node"); err != nil {
		return "", errors.New("node is not installed (apt-get install -y nodejs npm)")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	log.Info("installing promptfoo", "version", Version, "dir", dir)
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", dir, "--no-audit", "--no-fund", "promptfoo@"+Version)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("npm install promptfoo@%s: %w", Version, err)
	}
	return bin, nil
}

// promptfoo runs the real CLI on generated configs.
type promptfoo struct {
	bin, work, baseURL string
	log                *slog.Logger
}

func (p *promptfoo) provider(model string) map[string]any {
	return map[string]any{"id": "openai:chat:" + model, "config": map[string]any{"apiBaseUrl": p.baseURL, "apiKey": dummyKey}}
}

// config is a promptfoo config with one test per case: the prompt is the case
// id, which the echo server answers with the case's output.
func (p *promptfoo) config(cases []Case) map[string]any {
	var tests []any
	for _, c := range cases {
		vars := map[string]any{"case_id": c.ID}
		for k, v := range c.Vars {
			vars[k] = v
		}
		var asserts []any
		for _, a := range c.Assert {
			b := map[string]any{}
			for k, v := range a {
				b[k] = v
			}
			if t, _ := b["type"].(string); strings.HasSuffix(t, "llm-rubric") && b["provider"] == nil {
				b["provider"] = p.provider(judgePrefix + c.ID)
			}
			asserts = append(asserts, b)
		}
		t := map[string]any{"description": c.ID, "vars": vars, "assert": asserts}
		if c.Threshold != nil {
			t["threshold"] = *c.Threshold
		}
		tests = append(tests, t)
	}
	return map[string]any{
		"description":     "promptgate parity oracle",
		"prompts":         []string{"{{case_id}}"},
		"providers":       []any{p.provider("gpt-4o-mini")},
		"defaultTest":     map[string]any{"options": map[string]any{"provider": p.provider(judgePrefix + "default")}},
		"evaluateOptions": map[string]any{"cache": false, "maxConcurrency": 4},
		"tests":           tests,
	}
}

func (p *promptfoo) eval(ctx context.Context, name string, cases []Case, into map[string]Verdict) error {
	dir := filepath.Join(p.work, strings.ReplaceAll(name, "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, _ := json.MarshalIndent(p.config(cases), "", " ")
	cfgPath, outPath := filepath.Join(dir, "promptfooconfig.json"), filepath.Join(dir, "out.json")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, p.bin, "eval", "-c", cfgPath, "-o", outPath, "--no-cache", "--no-table", "--no-write", "--no-progress-bar")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"PROMPTFOO_CONFIG_DIR="+filepath.Join(dir, ".promptfoo"),
		"PROMPTFOO_DISABLE_TELEMETRY=1", "PROMPTFOO_DISABLE_UPDATE=1", "PROMPTFOO_CACHE_ENABLED=false",
		"PROMPTFOO_DISABLE_REMOTE_GENERATION=true", "PROMPTFOO_DISABLE_SHARING=1",
		"OPENAI_API_KEY="+dummyKey, "OPENAI_BASE_URL="+p.baseURL, "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	runErr := cmd.Run()
	data, err := os.ReadFile(outPath)
	if err != nil {
		if len(cases) == 1 {
			// promptfoo refused the config: that is its verdict on this case.
			into[cases[0].ID] = Verdict{Error: true, Reason: p.clean(lastLine(stderr.String()))}
			return nil
		}
		return fmt.Errorf("promptfoo eval %s: %v\n%s", name, runErr, stderr.String())
	}
	var out struct {
		Results struct {
			Results []struct {
				Vars          map[string]any `json:"vars"`
				Error         string         `json:"error"`
				FailureReason int            `json:"failureReason"`
				Success       bool           `json:"success"`
				Score         float64        `json:"score"`
				LatencyMs     float64        `json:"latencyMs"`
				Cost          float64        `json:"cost"`
				GradingResult *struct {
					Pass             bool        `json:"pass"`
					Score            float64     `json:"score"`
					Reason           string      `json:"reason"`
					ComponentResults []Component `json:"componentResults"`
				} `json:"gradingResult"`
			} `json:"results"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return fmt.Errorf("read %s: %w", outPath, err)
	}
	for _, r := range out.Results.Results {
		id, _ := r.Vars["case_id"].(string)
		v := Verdict{Error: r.FailureReason == 2, Pass: r.Success, Score: r.Score, LatencyMs: r.LatencyMs, Cost: r.Cost, Reason: r.Error}
		if g := r.GradingResult; g != nil {
			v.Reason, v.Asserts = g.Reason, g.ComponentResults
		}
		v.Reason = p.clean(v.Reason)
		into[id] = v
	}
	for _, c := range cases {
		if _, ok := into[c.ID]; !ok {
			return fmt.Errorf("promptfoo eval %s: no result for case %s\n%s", name, c.ID, stderr.String())
		}
	}
	p.log.Info("promptfoo eval", "run", name, "cases", len(cases))
	return nil
}

// clean keeps the first line of a reason (no stack trace) and hides the
// temporary directory, so re-recording gives the same golden file.
func (p *promptfoo) clean(reason string) string {
	reason, _, _ = strings.Cut(reason, "\n    at ")
	return strings.ReplaceAll(reason, p.work, "<work>")
}

func hasAnyPrefix(id, prefixes string) bool {
	for _, p := range strings.Split(prefixes, ",") {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
