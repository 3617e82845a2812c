package llm

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/config"
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

// TestClosedPortIsEndpointDown: nothing listening is found by the probe
// before any attempt, not retried, and every later call fails the same way
// without a connection.
func TestClosedPortIsEndpointDown(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/v1"
	ln.Close()
	c, err := New(Options{Mode: CacheOff, Providers: []config.Provider{{Name: "local", BaseURL: url, MaxRetries: 4}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		_, err := c.Complete(context.Background(), Request{Model: "m", Messages: []Message{{Role: "user", Content: "hi"}}})
		var ce *CallError
		if !errors.As(err, &ce) || ce.Kind != EndpointDown || ce.Attempts != 0 {
			t.Fatalf("call %d: err = %v, want endpoint-down with no attempt", i, err)
		}
	}
	down := c.Unreachable()
	if len(down) != 1 || down[0].Provider != "local" || !strings.Contains(down[0].Error(), "connection refused") {
		t.Errorf("Unreachable() = %v", down)
	}
	if c.Calls() != 0 {
		t.Errorf("%d HTTP attempts, want 0", c.Calls())
	}
}
