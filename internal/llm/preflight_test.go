package llm

import (
	"errors"
	"testing"

	openai "github.com/sashabaranov/go-openai"
)

func TestMissingChatPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		status int
		want   bool
	}{
		{"HTML 501 from a web server", &openai.RequestError{HTTPStatusCode: 501, Body: []byte("<html>Unsupported method</html>")}, 501, true},
		{"plain 404 page", &openai.RequestError{HTTPStatusCode: 404, Body: []byte("404 page not found\n")}, 404, true},
		{"405 with no body", &openai.RequestError{HTTPStatusCode: 405}, 405, true},
		{"OpenAI model not found", &openai.APIError{HTTPStatusCode: 404, Message: "The model `x` does not exist"}, 404, false},
		{"Ollama model not found (JSON go-openai does not parse)", &openai.RequestError{HTTPStatusCode: 404, Body: []byte(`{"error":"model \"x\" not found, try pulling it first"}`)}, 404, false},
		{"HTML 502 from a proxy is a server error", &openai.RequestError{HTTPStatusCode: 502, Body: []byte("<html>Bad gateway</html>")}, 502, false},
		{"400", &openai.RequestError{HTTPStatusCode: 400, Body: []byte("bad")}, 400, false},
		{"no response at all", errors.New("connection reset"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := missingChatPath(tt.err, tt.status); got != tt.want {
				t.Errorf("missingChatPath = %v, want %v", got, tt.want)
			}
		})
	}
}
