package cli

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestEvalPromptfooNunjucks: a promptfoo prompt using Nunjucks filters and
// tags reaches the model rendered, as promptfoo renders it.
func TestEvalPromptfooNunjucks(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []string
	model := llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer k",
		Reply: func(w http.ResponseWriter, _ *http.Request, req llmfake.Call) {
			mu.Lock()
			got = append(got, req.LastUser())
			mu.Unlock()
			writeAnswer(w, req, "noted")
		}})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml": "prompts: [file://email.txt]\nproviders: [openai:chat:gpt-4.1-mini]\n" +
			"tests:\n  - vars:\n      subject: late parcel\n      customer: {name: ada, orders: [A-1, B-2]}\n      vip: true\n    assert: [{type: icontains, value: noted}]\n",
		"email.txt": "Subject: {{ subject | upper }}\nCustomer: {{ customer.name | title }}{% if vip %} (VIP){% endif %}\n" +
			"Orders: {{ customer.orders | join(', ') }}\n{% for o in customer.orders %}- {{ o | lower }}\n{% endfor %}{{ missing }}Data: {{ customer | dump }}\n",
	})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "k"}
	code, stdout, stderr := evalNoCache(dir, env)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	want := "Subject: LATE PARCEL\nCustomer: Ada (VIP)\nOrders: A-1, B-2\n- a-1\n- b-2\nData: {\"name\":\"ada\",\"orders\":[\"A-1\",\"B-2\"]}" // the prompt file's last newline is not part of the prompt
	if len(got) != 1 || got[0] != want {
		t.Errorf("the model got %q, want %q", got, want)
	}
	if strings.Contains(stderr.String(), "Nunjucks") {
		t.Errorf("a rendered template is warned about:\n%s", stderr.String())
	}
}

// TestEvalPromptfooNunjucksRefused: a template promptgate cannot render
// stops the run at its file and line, exit 2, with no model call.
func TestEvalPromptfooNunjucksRefused(t *testing.T) {
	t.Parallel()
	model := llmfake.NewAPI(t, llmfake.APIOptions{})
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"promptfooconfig.yaml": "prompts: [file://email.txt]\nproviders: [openai:chat:gpt-4.1-mini]\ntests:\n  - vars: {body: hi}\n",
		"email.txt":            "Hello\n\n{{ body | truncate(20) }}\n",
	})
	env := map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_API_KEY": "k"}
	code, _, stderr := evalNoCache(dir, env)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", code, ExitBadInput, stderr.String())
	}
	if !strings.Contains(stderr.String(), `email.txt:3: prompt`) || !strings.Contains(stderr.String(), `filter "truncate"`) {
		t.Errorf("stderr does not name email.txt:3 and the filter:\n%s", stderr.String())
	}
	if n := model.Requests(); n != 0 {
		t.Errorf("%d model calls for a refused template", n)
	}
}
