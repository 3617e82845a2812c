package promptfoo_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestConfigParity runs each config under testdata/promptfoo-configs through
// promptgate (read natively, as `promptgate eval --promptfoo` does) against a
// fake endpoint that answers by the config's answers.yaml, and compares every
// case's verdict with the one the real promptfoo 0.121.20 gave on the same
// answers (verdicts.json, recorded by scripts/promptfoo-oracle -configs).
func TestConfigParity(t *testing.T) {
	t.Parallel()
	dirs, _ := filepath.Glob("../../testdata/promptfoo-configs/*/verdicts.json")
	if len(dirs) == 0 {
		t.Fatal("no recorded configs under testdata/promptfoo-configs")
	}
	for _, vpath := range dirs {
		dir := filepath.Dir(vpath)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			checkConfigParity(t, dir)
		})
	}
}

type answerRule struct {
	When   []string `yaml:"when"`
	Output string   `yaml:"output"`
}

type configVerdict struct {
	Model, Prompt, Description string
	Pass                       bool
	Score                      float64
	Error                      bool
}

func checkConfigParity(t *testing.T, dir string) {
	var rules []answerRule
	readInto(t, filepath.Join(dir, "answers.yaml"), &rules, yaml.Unmarshal)
	var want []configVerdict
	readInto(t, filepath.Join(dir, "verdicts.json"), &want, json.Unmarshal)

	ts := fakeModel(t, rules)
	proj, err := project.LoadWith(os.DirFS(dir), "", []string{"promptfooconfig.yaml"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	client, err := llm.New(llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: ts.URL + "/v1", APIKey: "dummy"}}, Mode: llm.CacheOff})
	if err != nil {
		t.Fatal(err)
	}
	runner := &eval.Runner{Prompts: proj.Prompts, Client: client, Prices: cost.ForConfig(proj.Config), Concurrency: 4, JudgeModel: "gpt-4.1-mini"}
	rep, err := runner.Run(context.Background(), proj.Promptfoo)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	got := map[string]configVerdict{}
	for i, sr := range rep.Suites {
		s := proj.Promptfoo[i]
		p, _ := proj.Prompts.Get(s.Prompt, s.Variant)
		for _, c := range sr.Cases {
			msgs, err := proj.Prompts.Render(p, c.Vars)
			if err != nil {
				t.Fatal(err)
			}
			parts := make([]string, len(msgs))
			for j, m := range msgs {
				parts[j] = m.Content
			}
			v := configVerdict{Model: sr.Model, Prompt: strings.TrimSpace(strings.Join(parts, "\n")), Description: c.Description,
				Pass: c.Status == eval.StatusPass, Score: c.Score, Error: c.Status == eval.StatusError}
			got[v.Model+"|"+v.Prompt+"|"+v.Description] = v
		}
	}
	if len(got) != len(want) {
		t.Errorf("promptgate ran %d cases, promptfoo %d", len(got), len(want))
	}
	agree := 0
	for _, w := range want {
		g, ok := got[w.Model+"|"+w.Prompt+"|"+w.Description]
		switch {
		case !ok:
			t.Errorf("promptgate has no case for %s / %q / %s", w.Model, w.Prompt, w.Description)
		case g.Pass != w.Pass || g.Error != w.Error || math.Abs(g.Score-w.Score) > 1e-9:
			t.Errorf("%s / %q / %s: promptfoo pass=%t score=%g error=%t, promptgate pass=%t score=%g error=%t",
				w.Model, w.Prompt, w.Description, w.Pass, w.Score, w.Error, g.Pass, g.Score, g.Error)
		default:
			agree++
		}
	}
	t.Logf("%s: %d of %d cases agree with promptfoo 0.121.20", filepath.Base(dir), agree, len(want))
}

func readInto(t *testing.T, path string, v any, decode func([]byte, any) error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := decode(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fakeModel answers chat completions by the first rule whose strings all
// occur in the request's messages, and fails the test on anything else.
func fakeModel(t *testing.T, rules []answerRule) *llmfake.API {
	return llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
		all, reply := req.Text(), ""
	rules:
		for _, rule := range rules {
			for _, s := range rule.When {
				if !strings.Contains(all, s) {
					continue rules
				}
			}
			reply = rule.Output
			break
		}
		llmfake.WriteCompletion(w, llmfake.Completion{ID: "x", Model: req.Model, Content: reply, In: 10, Out: 20, Created: 1767225600})
	}})
}
