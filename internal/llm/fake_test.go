package llm_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// chatBody is the request body the fake decodes.
type chatBody = llmfake.Call

// fakeAPI is the test kit's chat-completions server, strict about the body:
// anything the client sends must be a field the test knows.
type fakeAPI struct{ *llmfake.API }

// newFake starts a fake that requires "Authorization: Bearer key" (no header
// when key is "") and hands each decoded request, with its 1-based arrival
// number, to reply.
func newFake(t *testing.T, key string, reply func(n int, body chatBody, w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	return newFakeWith(t, llmfake.APIOptions{Auth: auth}, reply)
}

// newFakeWith is newFake with another path or auth header.
func newFakeWith(t *testing.T, o llmfake.APIOptions, reply func(n int, body chatBody, w http.ResponseWriter, r *http.Request)) *fakeAPI {
	t.Helper()
	o.CheckAuth, o.Strict, o.Keep = true, true, true
	o.Reply = func(w http.ResponseWriter, r *http.Request, req llmfake.Call) { reply(req.N, req, w, r) }
	return &fakeAPI{llmfake.NewAPI(t, o)}
}

// received is every request body, without arrival numbers, for comparison.
func (f *fakeAPI) received() []chatBody {
	got := f.Received()
	for i := range got {
		got[i].N = 0
	}
	return got
}

// answer writes a successful completion.
func answer(w http.ResponseWriter, content string, in, out int) {
	llmfake.WriteCompletion(w, llmfake.Completion{ID: "chatcmpl-1", Model: "m", Content: content, In: in, Out: out})
}

// echo answers with the last message's content, so callers can check that
// each response belongs to its request.
func echo(_ int, body chatBody, w http.ResponseWriter, _ *http.Request) {
	answer(w, "echo: "+body.Last(), 10, 5)
}

// apiError writes an OpenAI-style error with the given status.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"test_error"}}`, msg)
}

// truncated writes a 200 whose JSON body stops halfway.
func truncated(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprint(w, `{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assis`)
}
