// Command loadgen compares the request path of `promptgate serve` with a minimal
// reference webhook handler in one run on one machine. It starts both in this
// process on loopback. It sends the same signed issue_comment deliveries (ordinary
// PR comments, not commands) to each over a fixed number of connections, in
// alternating batches so both share the CPU alike. It prints rate and p50/p99 for
// each, with ratios. It exits 1 when serve is below the gate.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/promptgate/promptgate/internal/app/githubapp"
	"github.com/promptgate/promptgate/internal/app/webhook"
)

const secret = "loadgen-webhook-secret"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the load parameters.
type options struct {
	n, conns, size, batch, warmup int
	payload                       string
	minRate, maxP99               float64
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.IntVar(&o.n, "n", 2000, "deliveries sent to each handler")
	fs.IntVar(&o.conns, "conns", 8, "loopback connections per handler")
	fs.IntVar(&o.size, "size", 13000, "minimum delivery size in bytes (the recorded payload is about 13 KB compact)")
	fs.IntVar(&o.batch, "batch", 16, "deliveries per batch; batches alternate between handlers (ABBA), small so both see the same CPU")
	fs.IntVar(&o.warmup, "warmup", 200, "unmeasured deliveries per handler first")
	fs.StringVar(&o.payload, "payload", "testdata/webhooks/issue_comment.created.with-installation.json", "recorded issue_comment payload to build deliveries from")
	fs.Float64Var(&o.minRate, "min-rate-ratio", 0.95, "gate: serve rate / reference rate must be at least this")
	fs.Float64Var(&o.maxP99, "max-p99-ratio", 1.2, "gate: serve p99 / reference p99 must be at most this")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	res, err := measure(o)
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	report(stdout, o, res)
	if !res.pass(o) {
		fmt.Fprintln(stdout, "FAIL: serve is below the gate")
		return 1
	}
	fmt.Fprintln(stdout, "PASS")
	return 0
}

// result holds both handlers' measurements.
type result struct {
	serve, ref stats
	bytes      int
}

type stats struct {
	rate     float64 // deliveries per second of wall time spent on this handler
	p50, p99 time.Duration
	errors   int
}

func (r result) pass(o options) bool {
	return r.serve.errors == 0 && r.ref.errors == 0 &&
		r.serve.rate >= o.minRate*r.ref.rate && float64(r.serve.p99) <= o.maxP99*float64(r.ref.p99)
}

func report(w io.Writer, o options, r result) {
	fmt.Fprintf(w, "%d deliveries of %d bytes each per handler, %d connections, batches of %d alternating\n", o.n, r.bytes, o.conns, o.batch)
	fmt.Fprintf(w, "%-10s %10s %10s %10s %7s\n", "handler", "rate/s", "p50", "p99", "errors")
	for _, row := range []struct {
		name string
		s    stats
	}{{"reference", r.ref}, {"serve", r.serve}} {
		fmt.Fprintf(w, "%-10s %10.0f %10s %10s %7d\n", row.name, row.s.rate, row.s.p50.Round(time.Microsecond), row.s.p99.Round(time.Microsecond), row.s.errors)
	}
	fmt.Fprintf(w, "serve/reference: rate %.3f (gate >= %.2f), p99 %.3f (gate <= %.2f), p50 %.3f\n",
		r.serve.rate/r.ref.rate, o.minRate, float64(r.serve.p99)/float64(r.ref.p99), o.maxP99, float64(r.serve.p50)/float64(r.ref.p50))
}

// delivery is one pre-signed request body.
type delivery struct {
	id, sig string
	body    []byte
}

func measure(o options) (result, error) {
	deliveries, err := buildDeliveries(o)
	if err != nil {
		return result{}, err
	}
	serveURL, stopServe, err := startServe()
	if err != nil {
		return result{}, err
	}
	defer stopServe()
	refURL, stopRef, err := start(http.HandlerFunc(reference))
	if err != nil {
		return result{}, err
	}
	defer stopRef()

	targets := []*target{newTarget("serve", serveURL, o.conns), newTarget("reference", refURL, o.conns)}
	for _, t := range targets {
		t.send(deliveries[:min(o.warmup, len(deliveries))], o.conns, false)
	}
	// ABBA order cancels drift (CPU frequency, GC, the other engineers' jobs).
	for i, b := 0, 0; i < o.n; i, b = i+o.batch, b+1 {
		batch := deliveries[i:min(i+o.batch, o.n)]
		order := []*target{targets[0], targets[1]}
		if b%2 == 1 {
			order[0], order[1] = order[1], order[0]
		}
		for _, t := range order {
			t.send(batch, o.conns, true)
		}
	}
	return result{serve: targets[0].stats(), ref: targets[1].stats(), bytes: len(deliveries[0].body)}, nil
}

// buildDeliveries makes n distinct ordinary PR comments of about o.size bytes,
// compact JSON as GitHub sends it, signed ahead of time.
func buildDeliveries(o options) ([]delivery, error) {
	raw, err := os.ReadFile(o.payload)
	if err != nil {
		return nil, fmt.Errorf("read payload: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	issue, _ := m["issue"].(map[string]any)
	comment, _ := m["comment"].(map[string]any)
	if issue == nil || comment == nil {
		return nil, errors.New("payload is not an issue_comment")
	}
	issue["pull_request"] = map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}
	out := make([]delivery, max(o.n, o.warmup))
	for i := range out {
		comment["body"] = ""
		base, _ := json.Marshal(m)
		// Prose with links, code and line breaks, but no line starting with '/'.
		// The recorded payload is already about 13 KB compact; pad only to reach -size.
		var body strings.Builder
		fmt.Fprintf(&body, "Review %d: the summarize prompt reads better now.\n\n", i)
		body.WriteString("Looks good overall; see https://github.com/Codertocat/Hello-World/pull/1/files for the diff.\n")
		body.WriteString("`temperature: 0.2` keeps it stable, and the eval table shows no regressions. Ship it after the docs land.\n")
		for len(base)+body.Len() < o.size {
			body.WriteString("More notes on wording, tone and length; nothing blocking.\n")
		}
		comment["body"] = body.String()
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("encode delivery: %w", err)
		}
		out[i] = delivery{id: fmt.Sprintf("load-%06d", i), sig: webhook.Sign([]byte(secret), b), body: b}
	}
	return out, nil
}

// reference is the minimal handler serve is measured against: verify the HMAC,
// decode the JSON, answer 202.
func reference(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 25<<20))
	if err != nil {
		http.Error(w, "read", http.StatusBadRequest)
		return
	}
	sig, err := hex.DecodeString(strings.TrimPrefix(r.Header.Get("X-Hub-Signature-256"), "sha256="))
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if err != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev struct {
		Action string `json:"action"`
		Issue  struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
		} `json:"issue"`
		Comment struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
			User struct {
				Login string `json:"login"`
				Type  string `json:"type"`
			} `json:"user"`
		} `json:"comment"`
		Repository struct {
			FullName string `json:"full_name"`
		} `json:"repository"`
		Installation struct {
			ID int64 `json:"id"`
		} `json:"installation"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// startServe runs the real `promptgate serve` handler, with a throwaway App key
// and an API URL that is never called: ordinary comments make no API calls.
func startServe() (string, func(), error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", nil, fmt.Errorf("generate App key: %w", err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	cfg := githubapp.Config{AppID: 1, PrivateKey: pemKey, WebhookSecret: []byte(secret), APIURL: "http://127.0.0.1:1",
		Workers: 4, QueueSize: 256}
	srv, err := githubapp.NewServer(cfg, githubapp.NewLogger(io.Discard, slog.LevelInfo))
	if err != nil {
		return "", nil, err
	}
	url, stop, err := start(srv.Handler())
	if err != nil {
		return "", nil, err
	}
	return url, func() { stop(); _ = srv.Shutdown(context.Background()) }, nil
}

func start(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listen: %w", err)
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	return "http://" + ln.Addr().String() + "/webhook", func() { _ = hs.Close() }, nil
}

// target is one handler under load with its own connection pool.
type target struct {
	name, url string
	client    *http.Client
	mu        sync.Mutex
	latencies []time.Duration
	busy      time.Duration
	errors    int
}

func newTarget(name, url string, conns int) *target {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	return &target{name: name, url: url, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// send posts batch over conns workers; when record is set it keeps the latencies
// and the wall time of the batch.
func (t *target) send(batch []delivery, conns int, record bool) {
	next := make(chan delivery)
	var wg sync.WaitGroup
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range next {
				lat, ok := t.post(d)
				if record {
					t.mu.Lock()
					t.latencies = append(t.latencies, lat)
					if !ok {
						t.errors++
					}
					t.mu.Unlock()
				}
			}
		}()
	}
	for _, d := range batch {
		next <- d
	}
	close(next)
	wg.Wait()
	if record {
		t.busy += time.Since(start)
	}
}

func (t *target) post(d delivery) (time.Duration, bool) {
	req, _ := http.NewRequest(http.MethodPost, t.url, bytes.NewReader(d.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issue_comment")
	req.Header.Set("X-GitHub-Delivery", d.id)
	req.Header.Set("X-Hub-Signature-256", d.sig)
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return time.Since(start), false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start), resp.StatusCode/100 == 2
}

func (t *target) stats() stats {
	l := slices.Clone(t.latencies)
	slices.Sort(l)
	q := func(p float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(p*float64(len(l))))]
	}
	return stats{rate: float64(len(l)) / t.busy.Seconds(), p50: q(0.50), p99: q(0.99), errors: t.errors}
}
