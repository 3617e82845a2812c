package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Whole configs: every directory under testdata/promptfoo-configs holds a
// promptfooconfig.yaml written in the shape public promptfoo repos use and
// an answers.yaml of fixed replies. The config runs unchanged through
// promptfoo against a loopback server that answers by those rules, and
// promptfoo's per-case verdicts go to verdicts.json in the same directory;
// internal/promptfoo's parity test runs the same config through promptgate
// and compares case by case.

// answerRule replies with Output to a request whose messages contain every
// string in When.
type answerRule struct {
	When   []string `yaml:"when"`
	Output string   `yaml:"output"`
}

// ConfigVerdict is promptfoo's verdict on one case of a whole config, keyed
// the way both tools can compute it.
type ConfigVerdict struct {
	Model       string         `json:"model"`
	Prompt      string         `json:"prompt"`
	Description string         `json:"description"`
	Vars        map[string]any `json:"vars"`
	Pass        bool           `json:"pass"`
	Score       float64        `json:"score"`
	Error       bool           `json:"error,omitempty"`
	Reason      string         `json:"reason"`
}

func (p *promptfoo) runConfigs(ctx context.Context, root string) error {
	dirs, _ := filepath.Glob(filepath.Join(root, "testdata/promptfoo-configs/*/promptfooconfig.yaml"))
	for _, cfgPath := range dirs {
		dir := filepath.Dir(cfgPath)
		data, err := os.ReadFile(filepath.Join(dir, "answers.yaml"))
		if err != nil {
			return err
		}
		var rules []answerRule
		if err := yaml.Unmarshal(data, &rules); err != nil {
			return fmt.Errorf("%s/answers.yaml: %w", dir, err)
		}
		fake, ts := newModel(followRules(rules))
		verdicts, err := p.evalConfig(ctx, cfgPath, ts.URL+"/v1")
		ts.Close()
		if err != nil {
			return err
		}
		if problems := fake.Problems(); len(problems) > 0 {
			return fmt.Errorf("%s: the model fake refused %d requests: %q", dir, len(problems), problems)
		}
		out, _ := json.MarshalIndent(verdicts, "", " ")
		if err := os.WriteFile(filepath.Join(dir, "verdicts.json"), append(out, '\n'), 0o644); err != nil {
			return err
		}
		p.log.Info("promptfoo config", "dir", dir, "cases", len(verdicts))
	}
	return nil
}

func (p *promptfoo) evalConfig(ctx context.Context, cfgPath, baseURL string) ([]ConfigVerdict, error) {
	out := filepath.Join(p.work, "config-out.json")
	abs, _ := filepath.Abs(cfgPath)
	// The grader is pointed at the same server; caching is off.
	cmd := exec.CommandContext(ctx, p.bin, "eval", "-c", abs, "-o", out, "--no-cache", "--no-table", "--no-write", "--no-progress-bar",
		"--grader", "openai:chat:gpt-4.1-mini")
	cmd.Dir = filepath.Dir(abs)
	cmd.Env = append(os.Environ(),
		"PROMPTFOO_CONFIG_DIR="+filepath.Join(p.work, ".promptfoo-config"),
		"PROMPTFOO_DISABLE_TELEMETRY=1", "PROMPTFOO_DISABLE_UPDATE=1", "PROMPTFOO_CACHE_ENABLED=false",
		"PROMPTFOO_DISABLE_REMOTE_GENERATION=true", "PROMPTFOO_DISABLE_SHARING=1",
		"OPENAI_API_KEY="+dummyKey, "OPENAI_BASE_URL="+baseURL, "NO_COLOR=1")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	runErr := cmd.Run()
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("promptfoo eval %s: %v\n%s", cfgPath, runErr, stderr.String())
	}
	var res struct {
		Results struct {
			Results []struct {
				Prompt struct {
					Raw string `json:"raw"`
				} `json:"prompt"`
				Provider struct {
					ID string `json:"id"`
				} `json:"provider"`
				TestCase struct {
					Description string `json:"description"`
				} `json:"testCase"`
				Vars          map[string]any `json:"vars"`
				Success       bool           `json:"success"`
				Score         float64        `json:"score"`
				FailureReason int            `json:"failureReason"`
				GradingResult *struct {
					Reason string `json:"reason"`
				} `json:"gradingResult"`
			} `json:"results"`
		} `json:"results"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, err
	}
	var verdicts []ConfigVerdict
	for _, r := range res.Results.Results {
		id := r.Provider.ID
		v := ConfigVerdict{Model: id[strings.LastIndex(id, ":")+1:], Prompt: flatPrompt(r.Prompt.Raw), Description: r.TestCase.Description,
			Vars: r.Vars, Pass: r.Success, Score: r.Score, Error: r.FailureReason == 2}
		if r.GradingResult != nil {
			v.Reason = p.clean(r.GradingResult.Reason)
		}
		verdicts = append(verdicts, v)
	}
	sort.Slice(verdicts, func(i, j int) bool {
		a, b := verdicts[i], verdicts[j]
		if a.Model != b.Model {
			return a.Model < b.Model
		}
		if a.Prompt != b.Prompt {
			return a.Prompt < b.Prompt
		}
		return a.Description < b.Description
	})
	return verdicts, nil
}

// flatPrompt is a rendered prompt as text: a chat JSON prompt's message
// contents joined by newlines, else the text itself.
func flatPrompt(raw string) string {
	var msgs []struct {
		Content string `json:"content"`
	}
	if json.Unmarshal([]byte(raw), &msgs) == nil && len(msgs) > 0 {
		parts := make([]string, len(msgs))
		for i, m := range msgs {
			parts[i] = m.Content
		}
		return strings.Join(parts, "\n")
	}
	return strings.TrimSpace(raw)
}
