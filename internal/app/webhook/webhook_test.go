package webhook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var secret = []byte("test-secret")

type recorder struct {
	mu   sync.Mutex
	got  []Delivery
	gate chan struct{} // when non-nil, Process blocks until it is closed
}

func (r *recorder) Process(ctx context.Context, d Delivery) {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	r.got = append(r.got, d)
	r.mu.Unlock()
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, d := range r.got {
		ids = append(ids, d.ID)
	}
	return ids
}

func post(t *testing.T, h http.Handler, id, event, body, sig string) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhook", strings.NewReader(body))
	req.Header.Set("X-GitHub-Delivery", id)
	req.Header.Set("X-GitHub-Event", event)
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}

func TestReceive(t *testing.T) {
	t.Parallel()
	body := `{"action":"created"}`
	good := Sign(secret, []byte(body))
	tests := []struct {
		name      string
		event     string
		body, sig string
		want      int
		processed int
	}{
		{"good", "issue_comment", body, good, http.StatusAccepted, 1},
		{"missing signature", "issue_comment", body, "", http.StatusUnauthorized, 0},
		{"sha1 style", "issue_comment", body, "sha1=abc", http.StatusUnauthorized, 0},
		{"not hex", "issue_comment", body, "sha256=" + strings.Repeat("z", 64), http.StatusUnauthorized, 0},
		{"wrong secret", "issue_comment", body, Sign([]byte("other"), []byte(body)), http.StatusUnauthorized, 0},
		{"body altered", "issue_comment", body + " ", good, http.StatusUnauthorized, 0},
		{"filtered out", "ping", body, good, http.StatusOK, 0},
		{"too large", "issue_comment", strings.Repeat("x", 2048), Sign(secret, []byte(strings.Repeat("x", 2048))), http.StatusRequestEntityTooLarge, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorder{}
			filtered := 0
			h := New(rec, Options{Secret: secret, MaxBody: 1024, Filter: func(event string, _ []byte) (bool, string) {
				if event == "ping" {
					filtered++
					return false, "ping"
				}
				return true, ""
			}})
			got := post(t, h, "d-1", tt.event, tt.body, tt.sig)
			if err := h.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
			if n := len(rec.ids()); n != tt.processed {
				t.Errorf("processed %d deliveries, want %d", n, tt.processed)
			}
			if tt.want == http.StatusUnauthorized && filtered != 0 {
				t.Errorf("filter saw an unverified body")
			}
		})
	}
}

func TestDuplicateDeliveryHandledOnce(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h := New(rec, Options{Secret: secret})
	body := `{"n":1}`
	codes := []int{
		post(t, h, "same", "issue_comment", body, Sign(secret, []byte(body))),
		post(t, h, "same", "issue_comment", body, Sign(secret, []byte(body))),
		post(t, h, "other", "issue_comment", body, Sign(secret, []byte(body))),
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{202, 200, 202}, codes); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}
	got := rec.ids()
	if len(got) != 2 || !((got[0] == "same" && got[1] == "other") || (got[0] == "other" && got[1] == "same")) {
		t.Errorf("processed %v, want same and other once each", got)
	}
}

func TestForgottenDeliveryIsProcessedAgain(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	h := New(rec, Options{Secret: secret})
	body := `{"n":1}`
	sig := Sign(secret, []byte(body))
	codes := []int{post(t, h, "redo", "issue_comment", body, sig)}
	h.Forget("redo")
	codes = append(codes, post(t, h, "redo", "issue_comment", body, sig), post(t, h, "redo", "issue_comment", body, sig))
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{202, 202, 200}, codes); diff != "" {
		t.Errorf("status codes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"redo", "redo"}, rec.ids()); diff != "" {
		t.Errorf("processed (-want +got):\n%s", diff)
	}
}

func TestQueueFullAnswers503AndAcceptsRedelivery(t *testing.T) {
	t.Parallel()
	rec := &recorder{gate: make(chan struct{})}
	h := New(rec, Options{Secret: secret, Workers: 1, QueueSize: 1})
	body := `{}`
	sig := Sign(secret, []byte(body))
	if c := post(t, h, "a", "e", body, sig); c != 202 {
		t.Fatalf("a: %d", c)
	}
	// "a" may still be in the queue or already in the worker; fill until refused.
	var refused string
	for _, id := range []string{"b", "c", "d"} {
		if c := post(t, h, id, "e", body, sig); c == http.StatusServiceUnavailable {
			refused = id
			break
		}
	}
	if refused == "" {
		t.Fatal("queue of 1 with a blocked worker never answered 503")
	}
	close(rec.gate)
	deadline := time.Now().Add(90 * time.Second)
	for c := post(t, h, refused, "e", body, sig); c != 202; c = post(t, h, refused, "e", body, sig) {
		if time.Now().After(deadline) {
			t.Fatalf("redelivery of %s still refused: %d", refused, c)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := rec.ids(); ids[len(ids)-1] != refused {
		t.Errorf("processed %v, want %s last", ids, refused)
	}
}

func TestShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	var done atomic.Int32
	started := make(chan struct{}, 4)
	h := New(ProcessorFunc(func(ctx context.Context, d Delivery) {
		started <- struct{}{}
		time.Sleep(50 * time.Millisecond)
		if ctx.Err() == nil {
			done.Add(1)
		}
	}), Options{Secret: secret, Workers: 2})
	body := `{}`
	for _, id := range []string{"1", "2", "3", "4"} {
		if c := post(t, h, id, "e", body, Sign(secret, []byte(body))); c != 202 {
			t.Fatalf("%s: %d", id, c)
		}
	}
	<-started
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := done.Load(); n != 4 {
		t.Errorf("%d of 4 jobs finished before Shutdown returned", n)
	}
	if c := post(t, h, "5", "e", body, Sign(secret, []byte(body))); c != http.StatusServiceUnavailable {
		t.Errorf("after shutdown: %d, want 503", c)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("healthz after shutdown: %d", w.Code)
	}
}

func TestShutdownDeadlineCancelsJobs(t *testing.T) {
	t.Parallel()
	h := New(ProcessorFunc(func(ctx context.Context, d Delivery) { <-ctx.Done() }), Options{Secret: secret})
	body := `{}`
	post(t, h, "1", "e", body, Sign(secret, []byte(body)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := h.Shutdown(ctx); err == nil {
		t.Error("Shutdown returned nil although a job outlived its deadline")
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	h := New(&recorder{}, Options{Secret: secret})
	defer h.Shutdown(context.Background())
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/healthz", 200},
		{"GET", "/webhook", 405},
		{"POST", "/nope", 404},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
		if w.Code != tt.want {
			t.Errorf("%s %s = %d, want %d", tt.method, tt.path, w.Code, tt.want)
		}
	}
}

func TestPanicInProcessorIsContained(t *testing.T) {
	t.Parallel()
	var after atomic.Bool
	h := New(ProcessorFunc(func(ctx context.Context, d Delivery) {
		if d.ID == "boom" {
			panic("boom")
		}
		after.Store(true)
	}), Options{Secret: secret, Workers: 1})
	body := `{}`
	post(t, h, "boom", "e", body, Sign(secret, []byte(body)))
	post(t, h, "fine", "e", body, Sign(secret, []byte(body)))
	if err := h.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !after.Load() {
		t.Error("worker died with the panicking delivery")
	}
}

func TestDedupeBounds(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	d := NewDedupe(2, time.Minute, func() time.Time { return now })
	steps := []struct {
		id      string
		advance time.Duration
		want    bool
	}{
		{"a", 0, true},
		{"a", 0, false},
		{"b", 0, true},
		{"c", 0, true},  // evicts a
		{"a", 0, true},  // so a is new again, evicting b
		{"c", 0, false}, // c still held
		{"c", 2 * time.Minute, true},
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := d.Reserve(s.id); got != s.want {
			t.Errorf("step %d reserve(%q) = %v, want %v", i, s.id, got, s.want)
		}
	}
}
