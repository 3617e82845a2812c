package change

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/action/gitrepo"
)

// editConfig returns promptgate.yaml with old replaced by new, failing loudly
// when old is not there, so a typo cannot make a test pass vacuously.
func editConfig(t *testing.T, old, new string) string {
	t.Helper()
	cfg := baseRepo["promptgate.yaml"]
	if !strings.Contains(cfg, old) {
		t.Fatalf("promptgate.yaml has no %q", old)
	}
	return strings.Replace(cfg, old, new, 1)
}

func editFlags(t *testing.T, old, new string) string {
	t.Helper()
	f := baseRepo["flags/prompts.flagd.json"]
	if !strings.Contains(f, old) {
		t.Fatalf("flags file has no %q", old)
	}
	return strings.Replace(f, old, new, 1)
}

type R = []Reason

func TestDetect(t *testing.T) {
	t.Parallel()
	allFour := func(r Reason) map[string][]Reason {
		return map[string][]Reason{"classify": {r}, "summarize": {r}, "summarize.v2": {r}, "translate": {r}}
	}
	tests := []struct {
		name  string
		edits map[string]string
		// changes overrides the A/M/D list computed from edits (for renames).
		changes []gitrepo.FileChange
		want    Affected
	}{
		{name: "nothing changed", want: Affected{}},
		{
			name:  "unrelated files only",
			edits: map[string]string{"README.md": "# new\n", "src/main.go": "package main // x\n"},
			want:  Affected{Other: []string{"README.md", "src/main.go"}},
		},
		{
			name:  "prompt file changed",
			edits: map[string]string{"prompts/summarize.prompt": strings.Replace(baseRepo["prompts/summarize.prompt"], "Summarize:", "Sum up:", 1)},
			want:  Affected{Reeval: map[string][]Reason{"summarize": {ReasonPromptChanged}}},
		},
		{
			name:  "model changed in front matter",
			edits: map[string]string{"prompts/classify.prompt": strings.Replace(baseRepo["prompts/classify.prompt"], "llama3.1", "llama3.2", 1)},
			want:  Affected{Reeval: map[string][]Reason{"classify": {ReasonPromptChanged, ReasonModelChanged}}},
		},
		{
			name:  "partial changed re-evaluates every user",
			edits: map[string]string{"prompts/_tone.prompt": "Be terse.\n"},
			want: Affected{Reeval: map[string][]Reason{
				"summarize": {"partial _tone changed"}, "summarize.v2": {"partial _tone changed"},
			}},
		},
		{
			name: "prompt stops using a partial that changed",
			edits: map[string]string{
				"prompts/_tone.prompt":        "Be terse.\n",
				"prompts/summarize.v2.prompt": "---\nmodel: my-finetune\n---\nSummarize briefly: {{ticket}}\n",
			},
			want: Affected{Reeval: map[string][]Reason{
				"summarize":    {"partial _tone changed"},
				"summarize.v2": {"partial _tone changed", ReasonPromptChanged},
			}},
		},
		{
			name:  "suite changed re-evaluates its prompt variant",
			edits: map[string]string{"evals/summarize-v2.yaml": strings.Replace(baseRepo["evals/summarize-v2.yaml"], "late order", "lost parcel", 1)},
			want:  Affected{Reeval: map[string][]Reason{"summarize.v2": {"suite evals/summarize-v2.yaml changed"}}},
		},
		{
			name:  "suite switched to another prompt affects both",
			edits: map[string]string{"evals/classify.yaml": strings.Replace(baseRepo["evals/classify.yaml"], "prompt: classify", "prompt: translate", 1)},
			want: Affected{Reeval: map[string][]Reason{
				"classify": {"suite evals/classify.yaml changed"}, "translate": {"suite evals/classify.yaml changed"},
			}},
		},
		{
			name:  "prompt added",
			edits: map[string]string{"prompts/greet.prompt": "Hello {{name}}\n"},
			want:  Affected{Reeval: map[string][]Reason{"greet": {ReasonPromptAdded}}, Added: []string{"greet"}},
		},
		{
			name:  "prompt removed",
			edits: map[string]string{"prompts/translate.prompt": ""},
			want:  Affected{Reeval: map[string][]Reason{"translate": {ReasonPromptRemoved}}, Removed: []string{"translate"}},
		},
		{
			name: "variant renamed",
			edits: map[string]string{
				"prompts/summarize.v2.prompt": "", "prompts/summarize.v3.prompt": baseRepo["prompts/summarize.v2.prompt"],
			},
			changes: []gitrepo.FileChange{{Path: "prompts/summarize.v3.prompt", OldPath: "prompts/summarize.v2.prompt", Status: 'R'}},
			want: Affected{
				Reeval:  map[string][]Reason{"summarize.v2": {ReasonPromptRemoved}, "summarize.v3": {ReasonPromptAdded}},
				Added:   []string{"summarize.v3"},
				Removed: []string{"summarize.v2"},
			},
		},
		{
			name:    "prompt moved out of the prompts folder",
			edits:   map[string]string{"prompts/translate.prompt": "", "archive/translate.prompt": baseRepo["prompts/translate.prompt"]},
			changes: []gitrepo.FileChange{{Path: "archive/translate.prompt", OldPath: "prompts/translate.prompt", Status: 'R'}},
			want:    Affected{Reeval: map[string][]Reason{"translate": {ReasonPromptRemoved}}, Removed: []string{"translate"}},
		},
		{
			name:    "non-prompt renamed inside the prompts folder",
			edits:   map[string]string{"prompts/README.md": "", "prompts/NOTES.md": baseRepo["prompts/README.md"]},
			changes: []gitrepo.FileChange{{Path: "prompts/NOTES.md", OldPath: "prompts/README.md", Status: 'R'}},
			want:    Affected{Other: []string{"prompts/NOTES.md"}},
		},
		{
			name:  "other extension under prompts is ignored",
			edits: map[string]string{"prompts/ideas.txt": "more prompts\n", "prompts/README.md": "changed\n"},
			want:  Affected{Other: []string{"prompts/README.md", "prompts/ideas.txt"}},
		},
		{
			name:  "defaults.model changed re-evaluates prompts without a model",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "model: gpt-4.1-mini", "model: gpt-4.1")},
			want:  Affected{Reeval: map[string][]Reason{"summarize": {ReasonModelChanged}}},
		},
		{
			name:  "default provider changed re-evaluates every prompt it serves",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "11434/v1", "11435/v1")},
			// translate's "anthropic/" names no provider, so the default serves it.
			want: Affected{Reeval: map[string][]Reason{
				"summarize": {"provider default changed"}, "summarize.v2": {"provider default changed"}, "translate": {"provider default changed"},
			}},
		},
		{
			name:  "named provider changed",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "8000/v1", "8001/v1")},
			want:  Affected{Reeval: map[string][]Reason{"classify": {"provider local changed"}}},
		},
		{
			name:  "provider removed sends its prompts to the default provider",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "  local: {base_url: \"http://127.0.0.1:8000/v1\"}\n", "")},
			want:  Affected{Reeval: map[string][]Reason{"classify": {"provider default changed"}}},
		},
		{
			name:  "provider concurrency is throughput only",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "concurrency: 4", "concurrency: 16")},
			want:  Affected{},
		},
		{
			name:  "comments and formatting in promptgate.yaml",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "# project config\n", "# config, reformatted\n\n")},
			want:  Affected{},
		},
		{
			name:  "pricing changed for a used model re-projects it",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "input: 0.30", "input: 0.35")},
			want:  Affected{Reproject: map[string][]Reason{"summarize.v2": {ReasonPricingChanged}}},
		},
		{
			name:  "pricing added for a model nobody uses",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "pricing:\n", "pricing:\n  unused-model: {input: 1, output: 2}\n")},
			want:  Affected{},
		},
		{
			name:  "pricing override of a built-in price",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "pricing:\n", "pricing:\n  gpt-4.1-mini: {input: 9, output: 9}\n")},
			want:  Affected{Reproject: map[string][]Reason{"summarize": {ReasonPricingChanged}}},
		},
		{
			name:  "traffic for a prompt name covers its variants",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "20000", "30000")},
			want:  Affected{Reproject: map[string][]Reason{"summarize": {ReasonTrafficChanged}, "summarize.v2": {ReasonTrafficChanged}}},
		},
		{
			name:  "traffic for a flag covers the prompts it serves",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "traffic:\n", "traffic:\n  summarize-rollout: {requests_per_day: 5}\n")},
			want:  Affected{Reproject: map[string][]Reason{"summarize": {ReasonTrafficChanged}, "summarize.v2": {ReasonTrafficChanged}}},
		},
		{
			name:  "traffic removed",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "  classify: {requests_per_day: 100}\n", "")},
			want:  Affected{Reproject: map[string][]Reason{"classify": {ReasonTrafficChanged}}},
		},
		{
			name:  "gate changed re-projects everything",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "max_cost_increase_pct: 20", "max_cost_increase_pct: 10")},
			want:  Affected{Reproject: allFour(ReasonGateChanged)},
		},
		{
			name:  "budget changed re-projects everything",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "monthly_usd: 5000", "monthly_usd: 4000")},
			want:  Affected{Reproject: allFour(ReasonBudgetChanged)},
		},
		{
			name:  "judge model changed re-evaluates llm-rubric suites",
			edits: map[string]string{"promptgate.yaml": editConfig(t, "defaults: {model: gpt-4.1-mini}", "defaults: {model: gpt-4.1-mini, judge_model: gpt-4.1}")},
			want:  Affected{Reeval: map[string][]Reason{"classify": {ReasonJudgeChanged}}},
		},
		{
			name: "prompt change and pricing change merge into Reeval",
			edits: map[string]string{
				"prompts/summarize.v2.prompt": strings.Replace(baseRepo["prompts/summarize.v2.prompt"], "briefly", "very briefly", 1),
				"promptgate.yaml":             editConfig(t, "input: 0.30", "input: 0.35"),
			},
			want: Affected{Reeval: map[string][]Reason{"summarize.v2": {ReasonPromptChanged, ReasonPricingChanged}}},
		},
		{
			name:  "flag split changed re-projects the variants it serves",
			edits: map[string]string{"flags/prompts.flagd.json": editFlags(t, `[["stable", 90], ["rollout", 10]]`, `[["stable", 75], ["rollout", 25]]`)},
			want: Affected{Reproject: map[string][]Reason{
				"summarize": {"flag summarize-rollout rollout changed"}, "summarize.v2": {"flag summarize-rollout rollout changed"},
			}},
		},
		{
			name:  "flag without prompt variants",
			edits: map[string]string{"flags/prompts.flagd.json": editFlags(t, `"defaultVariant": "off"`, `"defaultVariant": "on"`)},
			want:  Affected{},
		},
		{
			name:  "flag file reformatted only",
			edits: map[string]string{"flags/prompts.flagd.json": strings.Join(strings.Fields(baseRepo["flags/prompts.flagd.json"]), " ")},
			want:  Affected{},
		},
		{
			name:  "flag file broken at head",
			edits: map[string]string{"flags/prompts.flagd.json": "{not json: [\n"},
			want: Affected{Reproject: map[string][]Reason{
				"summarize": {"flag summarize-rollout rollout changed"}, "summarize.v2": {"flag summarize-rollout rollout changed"},
			}},
		},
		{
			name: "flags moved to a YAML file with a new split",
			edits: map[string]string{
				"promptgate.yaml":          editConfig(t, "prompts.flagd.json", "prompts.flagd.yaml"),
				"flags/prompts.flagd.json": "",
				"flags/prompts.flagd.yaml": "flags:\n  summarize-rollout:\n    state: ENABLED\n    variants: {stable: summarize, rollout: summarize.v2}\n" +
					"    defaultVariant: stable\n    targeting: {fractional: [[stable, 50], [rollout, 50]]}\n" +
					"  dark-mode: {state: ENABLED, variants: {on: true, off: false}, defaultVariant: off}\n",
			},
			want: Affected{Reproject: map[string][]Reason{
				"summarize": {"flag summarize-rollout rollout changed"}, "summarize.v2": {"flag summarize-rollout rollout changed"},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			headFiles := withEdits(tc.edits)
			changes := tc.changes
			if changes == nil {
				changes = diffFiles(baseRepo, headFiles)
			}
			got := Detect(changes, snapshot(t, baseRepo), snapshot(t, headFiles))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
			if wantEmpty := len(tc.want.Reeval)+len(tc.want.Reproject)+len(tc.want.Added)+len(tc.want.Removed) == 0; got.Empty() != wantEmpty {
				t.Errorf("Empty() = %v, want %v", got.Empty(), wantEmpty)
			}
		})
	}
}

func TestDetectWithoutSnapshots(t *testing.T) {
	t.Parallel()
	changes := []gitrepo.FileChange{
		{Path: "prompts/support/summarize.v2.prompt", Status: 'M'},
		{Path: "prompts/_tone.prompt", Status: 'M'},
		{Path: "evals/x.yaml", Status: 'A'},
		{Path: "promptgate.yaml", Status: 'M'},
		{Path: "docs/x.md", Status: 'D'},
	}
	got := Detect(changes, Snapshot{}, Snapshot{})
	want := Affected{
		// Named from its path, since neither side loaded it.
		Reeval: map[string][]Reason{"support/summarize.v2": {ReasonPromptChanged}},
		Other:  []string{"docs/x.md", "evals/x.yaml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Detect (-want +got):\n%s", diff)
	}
}

func TestAffectedKeys(t *testing.T) {
	t.Parallel()
	a := Affected{
		Reeval:    map[string][]Reason{"b": nil, "a": nil},
		Reproject: map[string][]Reason{"c": nil, "a": nil},
	}
	if diff := cmp.Diff([]string{"a", "b", "c"}, a.Keys()); diff != "" {
		t.Errorf("Keys (-want +got):\n%s", diff)
	}
}
