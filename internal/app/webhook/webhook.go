// Package webhook receives GitHub webhook deliveries. It verifies the HMAC
// signature before it trusts anything in the body, and until then bounds what a
// body may cost: a per-event cap, a buffer that grows only with bytes that
// arrived (never from Content-Length), a limit on requests in flight and a
// budget for all unverified bytes. It drops deliveries the App has no use for on
// the request path, de-duplicates redeliveries, and hands the rest to a bounded
// worker pool, so GitHub gets its answer in milliseconds.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/defaults"
)

// Defaults for Options left zero.
const (
	// DefaultMaxBody is GitHub's cap on webhook payloads.
	DefaultMaxBody = 25 << 20
	// DefaultMaxInFlight bounds requests whose body is being read and verified.
	DefaultMaxInFlight = 128
	// DefaultMaxBuffered bounds the bytes of bodies held, not yet verified or
	// dropped, across all requests.
	DefaultMaxBuffered = 64 << 20
	DefaultWorkers     = 4
	// DefaultQueueSize and DefaultQueueBytes bound the deliveries waiting for
	// a worker: a burst queues rather than being refused, and only past 20,000
	// deliveries or 256 MiB of bodies (a command comment is ~13 KB) is a
	// delivery answered 503.
	DefaultQueueSize  = 20000
	DefaultQueueBytes = 256 << 20
	DefaultDedupeSize = 10000
	DefaultDedupeTTL  = 24 * time.Hour
	DefaultJobTimeout = 2 * time.Minute
)

// Delivery is one accepted webhook delivery, as handed to a Processor.
type Delivery struct {
	// ID is the X-GitHub-Delivery header, unique per delivery and kept on redelivery.
	ID string
	// Event is the X-GitHub-Event header, such as "issue_comment".
	Event string
	// Body is the raw, signature-verified JSON payload. The Processor owns it.
	Body []byte
}

// Processor does the work for a delivery, off the request path, in a pool worker.
type Processor interface {
	Process(ctx context.Context, d Delivery)
}

// ProcessorFunc adapts a function to Processor.
type ProcessorFunc func(ctx context.Context, d Delivery)

// Process calls f.
func (f ProcessorFunc) Process(ctx context.Context, d Delivery) { f(ctx, d) }

// Filter decides on the request path, cheaply, whether a verified delivery needs
// work. It returns false and a short reason for deliveries to acknowledge and drop.
// It must not keep body.
type Filter func(event string, body []byte) (ok bool, reason string)

// Options configure a Handler.
type Options struct {
	// Secret is the webhook secret shared with GitHub. Required.
	Secret []byte
	// Filter drops uninteresting deliveries before they are queued; nil queues all.
	Filter Filter
	// Workers is the size of the worker pool; QueueSize and QueueBytes bound
	// the deliveries, and their bodies' bytes, waiting for a worker.
	Workers, QueueSize int
	QueueBytes         int64
	// MaxBody caps the request body in bytes, for events not in EventMaxBody.
	MaxBody int64
	// EventMaxBody caps the body of the named events (by X-GitHub-Event) in bytes.
	// The header is not signed, so it only ever lowers the cap.
	EventMaxBody map[string]int64
	// MaxInFlight bounds the requests reading their body at once; more get 503.
	MaxInFlight int
	// MaxBuffered bounds the body bytes held by all requests at once; a request
	// that would pass it gets 503. Buffers grow as bytes arrive, never from the
	// client's Content-Length, so a slow or lying client holds only what it sent.
	MaxBuffered int64
	// DedupeSize and DedupeTTL bound the memory of delivery IDs already queued.
	DedupeSize int
	DedupeTTL  time.Duration
	// JobTimeout bounds one delivery's processing.
	JobTimeout time.Duration
	// Logger receives one line per dropped or failed delivery. Nil discards.
	Logger *slog.Logger
}

// Handler is the http.Handler for POST /webhook and GET /healthz.
type Handler struct {
	proc Processor
	opt  Options
	log  *slog.Logger
	macs sync.Pool
	bufs sync.Pool
	// inFlight is a semaphore of MaxInFlight slots; buffered counts the bytes of
	// body buffers in use against MaxBuffered.
	inFlight chan struct{}
	buffered atomic.Int64
	seen     *Dedupe
	queue    chan Delivery
	queued   atomic.Int64 // bytes of the bodies in queue
	mu       sync.RWMutex // guards closed against sends on a closed queue
	closed   bool
	workers  sync.WaitGroup
	// jobCtx is cancelled only when Shutdown's deadline passes.
	jobCtx    context.Context
	cancelJob context.CancelFunc
}

// New starts the worker pool and returns the handler. Call Shutdown to stop it.
func New(p Processor, o Options) *Handler {
	defaults.Positive(&o.Workers, DefaultWorkers)
	defaults.Positive(&o.QueueSize, DefaultQueueSize)
	defaults.Positive(&o.QueueBytes, DefaultQueueBytes)
	defaults.Positive(&o.MaxBody, DefaultMaxBody)
	defaults.Positive(&o.MaxInFlight, DefaultMaxInFlight)
	defaults.Positive(&o.MaxBuffered, DefaultMaxBuffered)
	defaults.Positive(&o.DedupeSize, DefaultDedupeSize)
	defaults.Positive(&o.DedupeTTL, DefaultDedupeTTL)
	defaults.Positive(&o.JobTimeout, DefaultJobTimeout)
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	secret := bytes.Clone(o.Secret)
	h := &Handler{
		proc:     p,
		opt:      o,
		log:      log,
		seen:     NewDedupe(o.DedupeSize, o.DedupeTTL, time.Now),
		queue:    make(chan Delivery, o.QueueSize),
		inFlight: make(chan struct{}, o.MaxInFlight),
	}
	h.macs.New = func() any { return hmac.New(sha256.New, secret) }
	h.bufs.New = func() any { b := make([]byte, 0, pooledBuf); return &b }
	h.jobCtx, h.cancelJob = context.WithCancel(context.Background())
	for range o.Workers {
		h.workers.Add(1)
		go h.work()
	}
	return h
}

// ServeHTTP routes POST /webhook and GET /healthz.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/webhook":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h.receive(w, r)
	case "/healthz":
		h.mu.RLock()
		closed := h.closed
		h.mu.RUnlock()
		if closed {
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) receive(w http.ResponseWriter, r *http.Request) {
	sig, ok := parseSignature(r.Header.Get("X-Hub-Signature-256"))
	if !ok {
		http.Error(w, "missing or malformed X-Hub-Signature-256", http.StatusUnauthorized)
		return
	}
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		http.Error(w, errBusy.Error(), http.StatusServiceUnavailable)
		return
	}
	id, event := r.Header.Get("X-GitHub-Delivery"), r.Header.Get("X-GitHub-Event")
	limit := h.opt.MaxBody
	if n, ok := h.opt.EventMaxBody[event]; ok && n < limit {
		limit = n
	}
	if r.ContentLength > limit {
		// Content-Length may refuse a body, never size a buffer.
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	body, release, err := h.readBody(w, r, limit)
	defer release()
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		case errors.Is(err, errBusy):
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		default:
			http.Error(w, "read body", http.StatusBadRequest)
		}
		return
	}
	mac := h.macs.Get().(hash.Hash)
	mac.Reset()
	mac.Write(body)
	var sum [sha256.Size]byte
	good := hmac.Equal(mac.Sum(sum[:0]), sig[:])
	h.macs.Put(mac)
	if !good {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}

	if event == "" || id == "" {
		http.Error(w, "missing X-GitHub-Event or X-GitHub-Delivery", http.StatusBadRequest)
		return
	}
	if h.opt.Filter != nil {
		if ok, reason := h.opt.Filter(event, body); !ok {
			h.log.LogAttrs(r.Context(), slog.LevelDebug, "delivery ignored",
				slog.String("delivery", id), slog.String("event", event), slog.String("reason", reason))
			w.WriteHeader(http.StatusOK)
			return
		}
	}
	if !h.seen.Reserve(id) {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "duplicate delivery ignored",
			slog.String("delivery", id), slog.String("event", event))
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := h.enqueue(Delivery{ID: id, Event: event, Body: bytes.Clone(body)}); err != nil {
		// Forget the ID so GitHub's redelivery is accepted.
		h.seen.Release(id)
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "delivery refused",
			slog.String("delivery", id), slog.String("event", event), slog.String("error", err.Error()))
		http.Error(w, err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// pooledBuf is the size of pooled body buffers: a PR comment delivery is 10 to
// 100 KB. Larger buffers are not pooled, so one big body does not stay pinned.
const pooledBuf = 64 << 10

// readBody reads the body, at most limit bytes, into a buffer that grows as bytes
// arrive. Every byte of buffer capacity is reserved against MaxBuffered first,
// so that unverified bodies cannot hold more than that between them. release
// returns the buffer and the reservation; the body is valid until then.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, release func(), err error) {
	bp := h.bufs.Get().(*[]byte)
	b := (*bp)[:0]
	reserved := int64(cap(b))
	h.buffered.Add(reserved)
	release = func() {
		h.buffered.Add(-reserved)
		if cap(b) <= pooledBuf {
			*bp = b[:0]
			h.bufs.Put(bp)
		}
	}
	src := http.MaxBytesReader(w, r.Body, limit)
	for {
		if len(b) == cap(b) {
			// Room for one byte past the limit, so MaxBytesReader can report it.
			grow := min(max(int64(cap(b)), pooledBuf), limit+1-int64(cap(b)))
			if grow <= 0 {
				grow = 1
			}
			if h.buffered.Add(grow) > h.opt.MaxBuffered {
				h.buffered.Add(-grow)
				return nil, release, errBusy
			}
			reserved += grow
			nb := make([]byte, len(b), int64(cap(b))+grow)
			copy(nb, b)
			b = nb
		}
		n, err := src.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, release, nil
		}
		if err != nil {
			return nil, release, err
		}
	}
}

var (
	errBusy         = errors.New("too many deliveries in progress, redeliver later")
	errQueueFull    = errors.New("worker queue full, redeliver later")
	errShuttingDown = errors.New("shutting down, redeliver later")
)

func (h *Handler) enqueue(d Delivery) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return errShuttingDown
	}
	if h.queued.Add(int64(len(d.Body))) > h.opt.QueueBytes {
		h.queued.Add(-int64(len(d.Body)))
		return errQueueFull
	}
	select {
	case h.queue <- d:
		return nil
	default:
		h.queued.Add(-int64(len(d.Body)))
		return errQueueFull
	}
}

func (h *Handler) work() {
	defer h.workers.Done()
	for d := range h.queue {
		h.queued.Add(-int64(len(d.Body)))
		h.run(d)
	}
}

func (h *Handler) run(d Delivery) {
	ctx, cancel := context.WithTimeout(h.jobCtx, h.opt.JobTimeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "delivery processing panicked",
				slog.String("delivery", d.ID), slog.String("event", d.Event), slog.String("panic", fmt.Sprint(p)))
		}
	}()
	h.proc.Process(ctx, d)
}

// Shutdown stops accepting deliveries (new ones get 503) and waits for queued and
// running ones to finish. When ctx ends first, it cancels the running jobs' context
// and returns ctx's error after they return.
func (h *Handler) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		close(h.queue)
	}
	h.mu.Unlock()
	done := make(chan struct{})
	go func() { h.workers.Wait(); close(done) }()
	select {
	case <-done:
		h.cancelJob()
		return nil
	case <-ctx.Done():
		h.cancelJob()
		<-done
		return fmt.Errorf("drain webhook workers: %w", ctx.Err())
	}
}

// Forget drops a delivery ID from the de-duplication memory, so that a
// redelivery of it is processed again. A Processor calls it when its work failed
// in a way that is safe to redo, because GitHub redelivers with the same ID.
func (h *Handler) Forget(id string) { h.seen.Release(id) }

// parseSignature decodes "sha256=<64 hex digits>".
func parseSignature(header string) (sig [sha256.Size]byte, ok bool) {
	const prefix = "sha256="
	if len(header) != len(prefix)+2*sha256.Size || header[:len(prefix)] != prefix {
		return sig, false
	}
	if _, err := hex.Decode(sig[:], []byte(header[len(prefix):])); err != nil {
		return sig, false
	}
	return sig, true
}

// Sign returns the X-Hub-Signature-256 value GitHub sends for body, for tests and
// the load generator.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}
