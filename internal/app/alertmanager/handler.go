package alertmanager

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Defaults for Handler fields left zero.
const (
	DefaultMaxBody = 4 << 20
	// DefaultRemember is how long a handled alert (fingerprint and start) is
	// remembered, so Alertmanager's repeats cost no GitHub calls at all.
	DefaultRemember = 24 * time.Hour
	// DefaultTimeout bounds one notification's rollbacks.
	DefaultTimeout = 2 * time.Minute
	// maxRemembered bounds the memory of handled alerts. Forgetting is safe: a
	// repeat then finds its flag at 0% and commits nothing.
	maxRemembered = 10000
)

// Rollbacker rolls a flag back for an alert. It must be idempotent: rolling
// back a flag already at 0% commits and comments nothing.
type Rollbacker interface {
	Rollback(ctx context.Context, t Target, log *slog.Logger) error
}

// RollbackFunc adapts a function to Rollbacker.
type RollbackFunc func(ctx context.Context, t Target, log *slog.Logger) error

// Rollback calls f.
func (f RollbackFunc) Rollback(ctx context.Context, t Target, log *slog.Logger) error {
	return f(ctx, t, log)
}

// Handler serves POST /alertmanager. It answers only after the rollbacks are
// done, so a failure answers 500 and Alertmanager retries the notification.
type Handler struct {
	token    [sha256.Size]byte
	rb       Rollbacker
	log      *slog.Logger
	maxBody  int64
	remember time.Duration
	now      func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time
}

// NewHandler returns the handler; token is the bearer token Alertmanager sends
// and must not be empty.
func NewHandler(token []byte, rb Rollbacker, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{token: sha256.Sum256(token), rb: rb, log: log, maxBody: DefaultMaxBody,
		remember: DefaultRemember, now: time.Now, seen: map[string]time.Time{}}
}

// ServeHTTP authenticates, parses and acts on one notification.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !h.authorized(r.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="promptgate"`)
		http.Error(w, "missing or wrong bearer token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	p, err := Parse(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	log := h.log.With("alert_group", p.GroupKey, "alert_status", p.Status)
	targets, skipped := p.Targets()
	for _, s := range skipped {
		log.Warn("alert not acted on", "alertname", s.AlertName, "reason", s.Reason)
	}
	ctx, cancel := context.WithTimeout(r.Context(), DefaultTimeout)
	defer cancel()
	var errs []error
	for _, t := range targets {
		tlog := log.With("repo", t.Owner+"/"+t.Repo, "flag", t.Flag, "alertname", t.AlertName)
		if !h.claim(t.Keys) {
			tlog.Info("alert already handled; nothing to do")
			continue
		}
		if err := h.rb.Rollback(ctx, t, tlog); err != nil {
			h.release(t.Keys) // let Alertmanager's retry run it again
			tlog.Error("roll back for alert", "error", err)
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		http.Error(w, "rollback failed; retry", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok\n")
}

// authorized compares the bearer token in constant time (hashing both sides
// first, so not even the token's length leaks).
func (h *Handler) authorized(header string) bool {
	scheme, tok, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], h.token[:]) == 1
}

// claim marks keys as being handled. It returns false when every key was
// already handled: a repeat of a notification already acted on.
func (h *Handler) claim(keys []string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for k, at := range h.seen {
		if now.Sub(at) > h.remember || len(h.seen) > maxRemembered {
			delete(h.seen, k)
		}
	}
	fresh := false
	for _, k := range keys {
		if _, ok := h.seen[k]; !ok {
			fresh = true
		}
		h.seen[k] = now
	}
	return fresh
}

func (h *Handler) release(keys []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range keys {
		delete(h.seen, k)
	}
}
