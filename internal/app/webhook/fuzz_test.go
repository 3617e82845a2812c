package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzReceive feeds arbitrary bodies and signature headers to the handler: it must
// not panic, and only a body signed with the secret may reach the Processor.
func FuzzReceive(f *testing.F) {
	f.Add([]byte(`{"action":"created"}`), "", false)
	f.Add([]byte(`{}`), "sha256=", true)
	f.Add([]byte{0xff, 0x00}, "sha256="+strings.Repeat("a", 64), false)
	f.Fuzz(func(t *testing.T, body []byte, header string, signIt bool) {
		reached := false
		h := New(ProcessorFunc(func(ctx context.Context, d Delivery) { reached = true }), Options{Secret: secret, Workers: 1, MaxBody: 4096})
		if signIt {
			header = Sign(secret, body)
		}
		req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(string(body)))
		req.Header.Set("X-Hub-Signature-256", header)
		req.Header.Set("X-GitHub-Event", "issue_comment")
		req.Header.Set("X-GitHub-Delivery", "d")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if err := h.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		valid := header == Sign(secret, body) && len(body) <= 4096
		if reached && !valid {
			t.Fatalf("unverified body reached the processor (status %d)", w.Code)
		}
		if !valid && w.Code == http.StatusAccepted {
			t.Fatalf("unverified body accepted")
		}
		if valid && w.Code != http.StatusAccepted {
			t.Fatalf("signed body got %d", w.Code)
		}
	})
}
