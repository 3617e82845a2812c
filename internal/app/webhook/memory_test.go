package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// slowPost starts a delivery whose body arrives through a pipe, and returns the
// pipe's writer and a channel with the status once the handler answers.
func slowPost(h http.Handler, event string, claimed int64) (*io.PipeWriter, <-chan int) {
	pr, pw := io.Pipe()
	req := httptest.NewRequest(http.MethodPost, "/webhook", pr)
	req.ContentLength = claimed
	req.Header.Set("X-GitHub-Delivery", "slow")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	code := make(chan int, 1)
	go func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		code <- w.Code
	}()
	return pw, code
}

// TestBufferGrowsWithBytesNotContentLength: a request that claims 25 MB and has
// sent 10 bytes holds one small pooled buffer, not 25 MB.
func TestBufferGrowsWithBytesNotContentLength(t *testing.T) {
	t.Parallel()
	h := New(&recorder{}, Options{Secret: secret})
	defer h.Shutdown(context.Background())
	var pipes []*io.PipeWriter
	var codes []<-chan int
	for range 8 {
		pw, code := slowPost(h, "push", DefaultMaxBody)
		// The write returns once the handler has read it: the handler is reading.
		if _, err := pw.Write([]byte("{\"action\":")); err != nil {
			t.Fatal(err)
		}
		pipes, codes = append(pipes, pw), append(codes, code)
	}
	if got, limit := h.buffered.Load(), int64(8*pooledBuf); got > limit {
		t.Errorf("8 slow 25 MB claims hold %d buffered bytes, want at most %d", got, limit)
	}
	for i, pw := range pipes {
		pw.Close()
		if c := <-codes[i]; c != http.StatusUnauthorized {
			t.Errorf("unsigned slow body: %d, want 401", c)
		}
	}
	if got := h.buffered.Load(); got != 0 {
		t.Errorf("%d bytes still reserved after every request ended", got)
	}
}

func TestBodyCaps(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 3<<10)
	tests := []struct {
		name    string
		event   string
		claimed int64 // Content-Length; -1 sends the body chunked
		want    int
	}{
		{"issue_comment over its cap, by Content-Length", "issue_comment", int64(len(big)), http.StatusRequestEntityTooLarge},
		{"issue_comment over its cap, chunked", "issue_comment", -1, http.StatusRequestEntityTooLarge},
		{"other event under the general cap", "push", int64(len(big)), http.StatusAccepted},
		{"over the buffer budget", "ping", -1, http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := Options{Secret: secret, EventMaxBody: map[string]int64{"issue_comment": 1 << 10, "ping": 1 << 20}}
			body := big
			if tt.event == "ping" {
				o.MaxBuffered = pooledBuf // one pooled buffer and no room to grow
				body = bytes.Repeat([]byte("y"), pooledBuf+1)
			}
			h := New(&recorder{}, o)
			req := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
			req.ContentLength = tt.claimed
			req.Header.Set("X-GitHub-Delivery", "d")
			req.Header.Set("X-GitHub-Event", tt.event)
			req.Header.Set("X-Hub-Signature-256", Sign(secret, body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if err := h.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.want {
				t.Errorf("status = %d, want %d", w.Code, tt.want)
			}
		})
	}
}

// TestInFlightBound: past MaxInFlight requests reading their body, the next
// gets 503 at once, before its body is read.
func TestInFlightBound(t *testing.T) {
	t.Parallel()
	h := New(&recorder{}, Options{Secret: secret, MaxInFlight: 2})
	defer h.Shutdown(context.Background())
	var pipes []*io.PipeWriter
	for range 2 {
		pw, _ := slowPost(h, "push", 100)
		if _, err := pw.Write([]byte("{")); err != nil {
			t.Fatal(err)
		}
		pipes = append(pipes, pw)
	}
	pw, code := slowPost(h, "push", 100)
	select {
	case c := <-code:
		if c != http.StatusServiceUnavailable {
			t.Errorf("third request: %d, want 503", c)
		}
	case <-time.After(90 * time.Second):
		t.Fatal("third request was not refused")
	}
	for _, p := range append(pipes, pw) {
		p.Close()
	}
}
