package cli

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestEvalPromptfooRubricNunjucks: an llm-rubric whose rubric uses Nunjucks
// filters and tags reaches the judge rendered with the test's vars, as
// promptfoo renders it; a plain {{var}} rubric still works beside it.
func TestEvalPromptfooRubricNunjucks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var rubrics []string
	api := llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer k",
		Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
			text := req.LastUser()
			if _, rest, ok := strings.Cut(text, "<Rubric>\n"); ok {
				mu.Lock()
				rubrics = append(rubrics, strings.TrimSuffix(rest, "\n</Rubric>"))
				mu.Unlock()
				llmfake.WriteCompletion(w, llmfake.Completion{ID: "j", Model: req.Model, Content: `{"reason":"fine","pass":true,"score":1}`, In: 50, Out: 9})
				return
			}
			writeAnswer(w, req, "Dear Ada, both orders ship today.")
		}})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": `prompts: ['Reply to {{ name }}']
providers: [openai:chat:gpt-4.1-mini]
defaultTest:
  options: {provider: openai:chat:gpt-4.1-mini}
tests:
  - vars: {name: ada lovelace, vip: true, account: {orders: [A-1, B-2]}}
    assert:
      - type: llm-rubric
        value: "Addresses {{ name | title }}{% if vip %} as a VIP{% endif %} and names {{ account.orders | join(' and ') }}"
      - type: llm-rubric
        value: "Mentions {{name}}"
`})
	env := map[string]string{"OPENAI_BASE_URL": api.BaseURL(), "OPENAI_API_KEY": "k"}
	code, stdout, stderr := evalNoCache(dir, env)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(rubrics)
	want := []string{"Addresses Ada Lovelace as a VIP and names A-1 and B-2", "Mentions ada lovelace"}
	if !slices.Equal(rubrics, want) {
		t.Errorf("the judge got rubrics %q, want %q", rubrics, want)
	}
}

// TestEvalPromptfooRubricNunjucksRefused: a rubric promptgate cannot render,
// or one past a render limit, stops the run at the assertion's line, exit 2,
// with no model call.
func TestEvalPromptfooRubricNunjucksRefused(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, value, want string }{
		{"unknown filter", "Is about {{ topic | truncate(5) }}", `filter "truncate"`},
		{"range over the limit", "{% for i in range(99999999) %}x{% endfor %}", "range() of 99999999 items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := llmfake.NewAPI(t, llmfake.APIOptions{})
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": "prompts: ['Hi {{ topic }}']\nproviders: [openai:chat:gpt-4.1-mini]\n" +
				"defaultTest:\n  options: {provider: openai:chat:gpt-4.1-mini}\ntests:\n  - vars: {topic: refunds}\n    assert:\n" +
				"      - type: icontains\n        value: hi\n      - type: llm-rubric\n        value: \"" + tt.value + "\"\n"})
			env := map[string]string{"OPENAI_BASE_URL": api.BaseURL(), "OPENAI_API_KEY": "k"}
			code, _, stderr := evalNoCache(dir, env)
			if code != ExitBadInput {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitBadInput, stderr.String())
			}
			if !strings.Contains(stderr.String(), "promptfooconfig.yaml:10: llm-rubric value") || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr does not name promptfooconfig.yaml:10 and %q:\n%s", tt.want, stderr.String())
			}
			if n := api.Requests(); n != 0 {
				t.Errorf("%d model calls for a refused rubric", n)
			}
		})
	}
}

// TestEvalPromptfooGoalNunjucks: a Nunjucks string inside an object value,
// trajectory:goal-success's {goal: …}, reaches the judge rendered too, and
// one promptgate cannot render stops the run at its line with no model call.
func TestEvalPromptfooGoalNunjucks(t *testing.T) {
	t.Parallel()
	config := func(goal string) string {
		return "prompts: ['Help {{ name }}']\nproviders: [openai:chat:gpt-4.1-mini]\n" +
			"defaultTest:\n  options: {provider: openai:chat:gpt-4.1-mini}\ntests:\n  - vars: {name: ada lovelace}\n    assert:\n" +
			"      - type: trajectory:goal-success\n        value: {goal: \"" + goal + "\"}\n"
	}
	t.Run("rendered", func(t *testing.T) {
		t.Parallel()
		var mu sync.Mutex
		var goals []string
		api := llmfake.NewAPI(t, llmfake.APIOptions{Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
			text := req.LastUser()
			if _, rest, ok := strings.Cut(text, "<Goal>\n"); ok {
				goal, _, _ := strings.Cut(rest, "\n</Goal>")
				mu.Lock()
				goals = append(goals, goal)
				mu.Unlock()
				llmfake.WriteCompletion(w, llmfake.Completion{ID: "j", Model: req.Model, Content: `{"reason":"fine","pass":true,"score":1}`, In: 50, Out: 9})
				return
			}
			writeAnswer(w, req, "Done, Ada.")
		}})
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": config("Greets {{ name | title }}")})
		env := map[string]string{"OPENAI_BASE_URL": api.BaseURL(), "OPENAI_API_KEY": "k"}
		code, stdout, stderr := evalNoCache(dir, env)
		if code != ExitOK {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
		}
		mu.Lock()
		defer mu.Unlock()
		if want := []string{"Greets Ada Lovelace"}; !slices.Equal(goals, want) {
			t.Errorf("the judge got goals %q, want %q", goals, want)
		}
	})
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		api := llmfake.NewAPI(t, llmfake.APIOptions{})
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"promptfooconfig.yaml": config("Greets {{ name | truncate(3) }}")})
		env := map[string]string{"OPENAI_BASE_URL": api.BaseURL(), "OPENAI_API_KEY": "k"}
		code, _, stderr := evalNoCache(dir, env)
		if code != ExitBadInput {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitBadInput, stderr.String())
		}
		if !strings.Contains(stderr.String(), "promptfooconfig.yaml:8: trajectory:goal-success value") || !strings.Contains(stderr.String(), `filter "truncate"`) {
			t.Errorf("stderr does not name promptfooconfig.yaml:8 and the filter:\n%s", stderr.String())
		}
		if n := api.Requests(); n != 0 {
			t.Errorf("%d model calls for a refused goal", n)
		}
	})
}
