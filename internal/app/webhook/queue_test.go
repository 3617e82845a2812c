package webhook

import (
	"context"
	"net/http"
	"testing"
)

// TestQueueBoundedByBytes: with room for 100 deliveries but 20 bytes of
// bodies, a third 7-byte delivery waiting behind a blocked worker is refused:
// the queue is sized by memory, not only by count.
func TestQueueBoundedByBytes(t *testing.T) {
	t.Parallel()
	rec := &recorder{gate: make(chan struct{})}
	h := New(rec, Options{Secret: secret, Workers: 1, QueueSize: 100, QueueBytes: 20})
	body := `{"x":1}`
	sig := Sign(secret, []byte(body))
	codes := map[int]int{}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		codes[post(t, h, id, "e", body, sig)]++
	}
	// Two bodies wait (14 bytes; 21 would not fit), plus "a" if the worker
	// took it from the queue before the others came.
	if a := codes[http.StatusAccepted]; a < 2 || a > 3 || codes[http.StatusServiceUnavailable] != 5-a {
		t.Errorf("status codes %v, want 2 or 3 accepted and the rest 503", codes)
	}
	close(rec.gate)
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}
