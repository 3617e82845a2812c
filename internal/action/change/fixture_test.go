package change

import (
	"io/fs"
	"maps"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
)

// baseRepo is the base commit every test starts from: four prompts, one
// partial, three suites, a flag rolling summarize.v2 out, and one flag that has
// nothing to do with prompts.
var baseRepo = map[string]string{
	"promptgate.yaml": `# project config
providers:
  default: {base_url: "http://127.0.0.1:11434/v1", concurrency: 4}
  local: {base_url: "http://127.0.0.1:8000/v1"}
defaults: {model: gpt-4.1-mini}
pricing:
  my-finetune: {input: 0.30, output: 1.20}
traffic:
  summarize: {requests_per_day: 20000}
  classify: {requests_per_day: 100}
budget: {monthly_usd: 5000}
gate: {max_cost_increase_pct: 20}
rollout:
  flags_file: flags/prompts.flagd.json
`,
	"prompts/summarize.prompt":    "---\ninput:\n  schema:\n    ticket: string\n---\n{{> tone}} Summarize: {{ticket}}\n",
	"prompts/summarize.v2.prompt": "---\nmodel: my-finetune\ninput:\n  schema:\n    ticket: string\n---\n{{> tone}} Summarize briefly: {{ticket}}\n",
	"prompts/classify.prompt":     "---\nmodel: local/llama3.1\n---\nClassify: {{text}}\n",
	"prompts/translate.prompt":    "---\nmodel: anthropic/claude-sonnet-4-5\n---\nTranslate: {{text}}\n",
	"prompts/_tone.prompt":        "Be calm and kind.\n",
	"prompts/README.md":           "How we write prompts.\n",
	"evals/summarize.yaml":        "prompt: summarize\ntests:\n  - vars: {ticket: late order}\n    assert:\n      - {type: icontains, value: order}\n",
	"evals/summarize-v2.yaml":     "prompt: summarize\nvariant: v2\ntests:\n  - vars: {ticket: late order}\n    assert:\n      - {type: icontains, value: order}\n",
	"evals/classify.yaml":         "prompt: classify\ntests:\n  - vars: {text: hi}\n    assert:\n      - {type: llm-rubric, value: is a greeting}\n",
	"flags/prompts.flagd.json": `{
  "$schema": "https://flagd.dev/schema/v0/flags.json",
  "flags": {
    "summarize-rollout": {
      "state": "ENABLED",
      "variants": {"stable": "summarize", "rollout": "summarize.v2"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 90], ["rollout", 10]]}
    },
    "dark-mode": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off"
    }
  }
}
`,
	"src/main.go": "package main\n",
	"README.md":   "# demo\n",
}

// withEdits returns baseRepo with edits applied; an empty value deletes the file.
func withEdits(edits map[string]string) map[string]string {
	files := maps.Clone(baseRepo)
	for p, content := range edits {
		if content == "" {
			delete(files, p)
			continue
		}
		files[p] = content
	}
	return files
}

// snapshot loads files the way promptgate check does from a commit.
func snapshot(t testing.TB, files map[string]string) Snapshot {
	t.Helper()
	fsys := fstest.MapFS{}
	for p, content := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(content)}
	}
	cfg, err := config.Load(fsys, config.FileName)
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	prompts, err := prompt.LoadWithTools(fsys, cfg.Paths.Prompts, cfg.Paths.Tools)
	if err != nil {
		t.Fatalf("load prompts: %v", err)
	}
	suites, err := suite.Load(fsys, cfg.Paths.Evals)
	if err != nil {
		t.Fatalf("load suites: %v", err)
	}
	flags, err := fs.ReadFile(fsys, cfg.Rollout.FlagsFile)
	if err != nil {
		flags = nil
	}
	return Snapshot{Config: cfg, Prompts: prompts, Suites: suites, FlagsFile: cfg.Rollout.FlagsFile, Flags: flags}
}

// diffFiles lists added, modified and deleted paths as git would (renames are
// given explicitly by the tests that need them), sorted by path.
func diffFiles(base, head map[string]string) []gitrepo.FileChange {
	paths := slices.Collect(maps.Keys(base))
	paths = append(paths, slices.Collect(maps.Keys(head))...)
	slices.Sort(paths)
	var changes []gitrepo.FileChange
	for _, p := range slices.Compact(paths) {
		b, inBase := base[p]
		h, inHead := head[p]
		switch {
		case !inBase:
			changes = append(changes, gitrepo.FileChange{Path: p, Status: 'A'})
		case !inHead:
			changes = append(changes, gitrepo.FileChange{Path: p, Status: 'D'})
		case b != h:
			changes = append(changes, gitrepo.FileChange{Path: p, Status: 'M'})
		}
	}
	return changes
}
