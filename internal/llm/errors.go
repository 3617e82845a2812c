package llm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	openai "github.com/sashabaranov/go-openai"
)

// ErrorKind classifies why a call failed, and so whether it was retried.
type ErrorKind int

const (
	// RateLimited is HTTP 429 after all retries.
	RateLimited ErrorKind = iota + 1
	// Server is HTTP 5xx after all retries.
	Server
	// Timeout is an attempt that ran past the provider's timeout (or HTTP 408),
	// after all retries.
	Timeout
	// BadResponse is a 2xx answer that was not a usable completion: malformed
	// or truncated JSON, or no choices. It is retried.
	BadResponse
	// Auth is HTTP 401 or 403: a wrong or unauthorized key. Not retried.
	Auth
	// BadRequest is any other 4xx, or a request refused before sending.
	// Not retried.
	BadRequest
	// NoAPIKey means the provider needs a key and none was set. No call was made.
	NoAPIKey
	// CacheMiss means offline mode found no recorded response. No call was made.
	CacheMiss
	// Canceled means the caller's context ended the call.
	Canceled
	// Network is a connection that failed before any response (refused,
	// reset, DNS), after all retries.
	Network
	// Untrusted means the provider may not be called: the change under check
	// added it. No call was made, and the cache was not consulted.
	Untrusted
	// OverBudget means the shared call Budget (gate.max_calls) was spent
	// before this attempt. No further call was made.
	OverBudget
	// EndpointDown means the provider's base_url cannot serve chat
	// completions (see Unreachable): nothing listens, TLS fails, or the chat
	// path answers 404/405/501 with a non-API page. Not retried.
	EndpointDown
)

// String names the kind for tables and traces.
func (k ErrorKind) String() string {
	switch k {
	case RateLimited:
		return "rate-limited"
	case Server:
		return "server-error"
	case Timeout:
		return "timeout"
	case BadResponse:
		return "bad-response"
	case Auth:
		return "auth"
	case BadRequest:
		return "bad-request"
	case NoAPIKey:
		return "no-api-key"
	case CacheMiss:
		return "cache-miss"
	case Canceled:
		return "canceled"
	case Network:
		return "network"
	case Untrusted:
		return "untrusted-provider"
	case OverBudget:
		return "over-budget"
	case EndpointDown:
		return "endpoint-down"
	default:
		return fmt.Sprintf("ErrorKind(%d)", int(k))
	}
}

// retryable reports whether another attempt might succeed.
func (k ErrorKind) retryable() bool {
	switch k {
	case RateLimited, Server, Timeout, BadResponse, Network:
		return true
	default:
		return false
	}
}

// CallError is a model call that failed after retries, or could not be made.
// The eval runner counts a case that ends in a CallError as an error, never a
// fail. Its message never contains the API key.
type CallError struct {
	Kind ErrorKind
	// Status is the HTTP status of the last attempt, 0 when there was none.
	Status int
	// Attempts is the number of HTTP attempts made, 0 when none was.
	Attempts int
	// Throttled counts the attempts answered 429, which are waited out
	// rather than counted against max_retries.
	Throttled int
	// Provider and Model are the provider name and the model name sent to it.
	Provider, Model string
	Err             error
}

// Error names the call, the kind of failure, the last HTTP status, the number
// of attempts and the cause, for example
// "default/gpt-4o: rate-limited (HTTP 429) after 5 attempts: Rate limit reached".
func (e *CallError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s: %s", e.Provider, e.Model, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	return b.String()
}

// Unwrap exposes the cause, such as context.Canceled.
func (e *CallError) Unwrap() error { return e.Err }

// attemptResult is what one HTTP attempt told us, filled in by the transport.
type attemptResult struct {
	sent   bool // the request reached the transport
	status int  // 0 when no response arrived
	header http.Header
}

// classify turns a failed attempt into a kind and the HTTP status seen;
// parent is the caller's context.
func classify(err error, res *attemptResult, parent context.Context) (ErrorKind, int) {
	status := res.status
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr) && apiErr.HTTPStatusCode != 0:
		status = apiErr.HTTPStatusCode
	case errors.As(err, &reqErr) && reqErr.HTTPStatusCode != 0:
		status = reqErr.HTTPStatusCode
	}
	switch {
	case parent.Err() != nil:
		return Canceled, status
	case status == http.StatusTooManyRequests:
		return RateLimited, status
	case status == http.StatusRequestTimeout:
		return Timeout, status
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Auth, status
	case status >= 500:
		return Server, status
	case status >= 400:
		return BadRequest, status
	case errors.Is(err, context.DeadlineExceeded) || isNetTimeout(err):
		return Timeout, status
	case status >= 200 && status < 300:
		return BadResponse, status
	case res.sent:
		return Network, status
	default:
		// go-openai refused the request before sending it.
		return BadRequest, status
	}
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// maxErrText bounds the error text kept from a response body; an HTML error
// page from a proxy would otherwise fill the report.
const maxErrText = 300

// describe returns a short, key-free error for a failed attempt.
func describe(err error, kind ErrorKind, parent context.Context, key string) error {
	if kind == Canceled {
		// Keep the context error itself so errors.Is(err, context.Canceled) works.
		return parent.Err()
	}
	var msg string
	var apiErr *openai.APIError
	var reqErr *openai.RequestError
	switch {
	case errors.As(err, &apiErr):
		msg = apiErr.Message
	case errors.As(err, &reqErr):
		msg = strings.TrimSpace(string(reqErr.Body))
		if msg == "" && reqErr.Err != nil {
			msg = reqErr.Err.Error()
		}
	case kind == Timeout:
		msg = "no complete response within the provider timeout"
	case kind == BadResponse && !errors.Is(err, errNoChoices):
		msg = "malformed response body: " + err.Error()
	default:
		msg = err.Error()
	}
	return errors.New(redact(msg, key))
}

// redact removes the key from text a server may have echoed back, and any
// credentials of a URL the text quotes (Go's HTTP errors name the request URL),
// and bounds the text's length.
func redact(s, key string) string {
	if key != "" {
		s = strings.ReplaceAll(s, key, "[REDACTED]")
	}
	s = config.RedactURL(s)
	if len(s) > maxErrText {
		s = strings.ToValidUTF8(s[:maxErrText], "") + "…"
	}
	return s
}
