package eval

import (
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/prompt"
	"github.com/promptgate/promptgate/internal/suite"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// chatReq is a decoded chat-completions request.
type chatReq = llmfake.Call

// fakeChat is the test kit's chat-completions server, requiring the key
// test-key.
type fakeChat struct{ *llmfake.API }

// answerFunc maps the decoded request (and its 1-based number) to a status,
// headers and body.
type answerFunc func(n int64, req chatReq) (status int, header http.Header, body string)

// newFakeChat starts a fake that waits latency, then answers with answer; nil
// answer echoes the last user message.
func newFakeChat(t testing.TB, latency time.Duration, answer answerFunc) *fakeChat {
	t.Helper()
	return &fakeChat{llmfake.NewAPI(t, llmfake.APIOptions{CheckAuth: true, Auth: "Bearer test-key", Latency: latency,
		Reply: func(w http.ResponseWriter, _ *http.Request, req chatReq) {
			status, header, body := 200, http.Header{}, ""
			if answer != nil {
				status, header, body = answer(int64(req.N), req)
			} else {
				body = completion(req.Model, "echo: "+req.LastUser(), 20, 5)
			}
			for k, v := range header {
				w.Header()[k] = v
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}})}
}

func lastUser(msgs []llm.Message) string { return chatReq{Messages: msgs}.LastUser() }

func completion(model, content string, in, out int) string {
	return llmfake.Completion{ID: "chatcmpl-1", Model: model, Content: content, In: in, Out: out, Created: 1}.JSON()
}

// fixture builds a prompt set and suites from in-memory files.
func fixture(t testing.TB, files map[string]string) (*prompt.Set, []*suite.Suite) {
	t.Helper()
	m := fstest.MapFS{}
	for name, body := range files {
		m[name] = &fstest.MapFile{Data: []byte(body)}
	}
	set, err := prompt.LoadWithTools(fs.FS(m), "prompts", "tools")
	if err != nil {
		t.Fatalf("load prompts: %v", err)
	}
	suites, err := suite.Load(fs.FS(m), "evals")
	if err != nil {
		t.Fatalf("load suites: %v", err)
	}
	if err := Check(suites, set, ""); err != nil {
		t.Fatalf("check: %v", err)
	}
	return set, suites
}

const echoPrompt = `---
model: gpt-4.1-mini
config:
  temperature: 0
input:
  schema:
    word: string
---
{{role "system"}}
Repeat the word.
{{role "user"}}
{{word}}
`

// echoSuite writes a suite with n cases; case i expects "wordI" in the output.
func echoSuite(n int, extra string) string {
	var b strings.Builder
	b.WriteString("prompt: echo\nthreshold: 0.5\n" + extra + "tests:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - description: case %d\n    vars: {word: word%d}\n    assert:\n      - type: contains\n        value: word%d\n", i, i, i)
	}
	return b.String()
}

func newClient(t testing.TB, baseURL string, conc, retries int, cacheDir string, mode llm.CacheMode) *llm.Client {
	t.Helper()
	opts := llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: baseURL + "/v1", APIKey: "test-key",
		APIKeyEnv: "OPENAI_API_KEY", Concurrency: conc, Timeout: 10 * time.Second, MaxRetries: retries}}, Mode: mode}
	if cacheDir != "" {
		opts.Cache = openCache(t, cacheDir)
	}
	c, err := llm.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
