package llm

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/promptgate/promptgate/internal/config"
	openai "github.com/sashabaranov/go-openai"
)

// probeTimeout bounds the connection probe: a base_url that does not answer
// a TCP (and TLS) handshake in this time is unreachable for the run.
const probeTimeout = 3 * time.Second

// reachability is an endpoint's preflight: one connection probe before its
// first network call, and the verdict of that first call's HTTP status. Once
// the endpoint is found unreachable every later call fails at once with the
// same message, instead of each case retrying a dead address.
type reachability struct {
	once sync.Once
	down atomic.Pointer[Unreachable]
}

// Unreachable says why a provider's base_url cannot serve chat completions:
// nothing listens, the TLS handshake fails, or the chat path is not there.
type Unreachable struct {
	Provider, BaseURL string
	Reason            string
}

// Error names the provider, its redacted base URL and the reason.
func (u *Unreachable) Error() string {
	return fmt.Sprintf("provider %s: %s %s", u.Provider, config.RedactURL(u.BaseURL), u.Reason)
}

// Unreachable lists the providers found unreachable so far, by name.
func (c *Client) Unreachable() []*Unreachable {
	var out []*Unreachable
	for _, e := range c.providers {
		if u := e.reach.down.Load(); u != nil {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *Unreachable) int { return strings.Compare(a.Provider, b.Provider) })
	return out
}

// preflight probes e once, before its first network call, and returns the
// error every call to an unreachable endpoint fails with.
func (e *endpoint) preflight(ctx context.Context) error {
	e.reach.once.Do(func() {
		if reason := probe(ctx, e.BaseURL); reason != "" {
			e.reach.down.CompareAndSwap(nil, &Unreachable{Provider: e.Name, BaseURL: e.BaseURL, Reason: reason})
		}
	})
	if u := e.reach.down.Load(); u != nil {
		return u
	}
	return nil
}

// probe opens a connection to base's host (and completes the TLS handshake
// for https) and returns why it failed, or "" when it worked or cannot be
// judged here (a proxy carries the calls, or the context ended).
func probe(ctx context.Context, base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return "" // the call itself reports a malformed URL
	}
	if proxy, err := http.ProxyFromEnvironment(&http.Request{URL: u}); err != nil || proxy != nil {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", net.JoinHostPort(u.Hostname(), port))
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ""
		}
		return "is unreachable: " + dialReason(err)
	}
	defer conn.Close()
	if u.Scheme == "https" {
		tc := tls.Client(conn, &tls.Config{ServerName: u.Hostname(), MinVersion: tls.VersionTLS12})
		if err := tc.HandshakeContext(ctx); err != nil {
			return "fails the TLS handshake: " + err.Error()
		}
	}
	return ""
}

// dialReason keeps the part of a dial error a person acts on.
func dialReason(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Sprintf("no answer within %s", probeTimeout)
		}
		msg := op.Err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return msg
	}
	return err.Error()
}

// missingChatPath reports a 404, 405 or 501 answered with a page that is not
// an API error: a web server without the chat path at this base_url, not a
// model the API does not know (which answers JSON). It is not retried, and
// makes the endpoint unreachable for the rest of the run.
func missingChatPath(err error, status int) bool {
	if status != http.StatusNotFound && status != http.StatusMethodNotAllowed && status != http.StatusNotImplemented {
		return false
	}
	var apiErr *openai.APIError
	if errors.As(err, &apiErr) {
		return false
	}
	// Ollama's {"error": "model … not found"} is JSON that go-openai does
	// not parse as an API error: an API answered, so the path is there.
	var reqErr *openai.RequestError
	return !errors.As(err, &reqErr) || !json.Valid(bytes.TrimSpace(reqErr.Body))
}

// markMissingPath records that e's chat path is missing.
func (e *endpoint) markMissingPath(status int) *Unreachable {
	u := &Unreachable{Provider: e.Name, BaseURL: e.BaseURL,
		Reason: fmt.Sprintf("has no chat completions API: POST %s/chat/completions answered HTTP %d with a page that is not an API error (is base_url the API root, such as …/v1?)",
			config.RedactURL(strings.TrimRight(e.BaseURL, "/")), status)}
	e.reach.down.CompareAndSwap(nil, u)
	return e.reach.down.Load()
}
