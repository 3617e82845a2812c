package config

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// OpenAIBaseURL is OpenAI's public API, the base URL of a provider that names
// none when $OPENAI_BASE_URL is unset too.
const OpenAIBaseURL = "https://api.openai.com/v1"

// Provider is one OpenAI-compatible chat-completions endpoint: OpenAI,
// OpenRouter, Ollama, vLLM, a LiteLLM proxy, or Azure OpenAI. Requests go to
// POST {BaseURL}/chat/completions with "Authorization: Bearer {APIKey}" (no
// header when the key is empty, as local servers expect). An empty BaseURL
// means $OPENAI_BASE_URL, else OpenAI's public API; see ResolveBaseURL.
//
// Azure OpenAI works two ways. Its deployment-style API is used when Azure is
// true, or automatically when BaseURL is a bare https://NAME.openai.azure.com:
// the model name is then the deployment name, requests go to
// {BaseURL}/openai/deployments/{model}/chat/completions?api-version={APIVersion},
// and the key is sent in the api-key header. Azure's newer OpenAI-compatible
// endpoint (https://NAME.openai.azure.com/openai/v1) and a LiteLLM proxy in
// front of Azure need no special mode.
type Provider struct {
	// Name is how prompts refer to the provider, as in "local/llama3.1".
	Name    string
	BaseURL string
	// APIKeyEnv names the environment variable the key is read from; the
	// model client uses it in messages, never to read the key.
	APIKeyEnv string
	// APIKey is the resolved secret: Parse never sets it, the caller that
	// builds the model client reads it from APIKeyEnv. It is never logged or
	// put in an error; String and LogValue redact it.
	APIKey string
	// Concurrency bounds the requests in flight to this provider across all
	// callers of the client; 0 means DefaultConcurrency.
	Concurrency int
	// Timeout bounds each attempt, including reading the body; 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// MaxRetries bounds the retries after failures other than 429; 0 means
	// none. A 429 is waited out instead, up to RateLimitWait.
	MaxRetries int
	// RPM and TPM are the requests and tokens per minute to pace each model
	// to; 0 means learn them from the provider's rate-limit headers.
	RPM, TPM int
	// RateLimitWait bounds the total time one call waits out 429 answers
	// before it ends as an error; 0 means the model client's default (5m).
	RateLimitWait time.Duration
	// Azure selects Azure OpenAI's deployment-style API (see above; in
	// promptgate.yaml, `azure: true`).
	Azure bool
	// APIVersion is Azure's api-version query parameter; it is
	// DefaultAzureAPIVersion when Azure is on and none is set, else "".
	APIVersion string
	// Untrusted, when set, says why this provider must not be called: the
	// change under check added it (see WithRulesFrom); Parse never sets it.
	// Every call to it fails with kind Untrusted, before the cache or the
	// network is consulted.
	Untrusted string
}

// String describes the provider without its key, so %v never leaks it.
func (p Provider) String() string {
	return fmt.Sprintf("provider %q at %s (key %s)", p.Name, RedactURL(p.BaseURL), p.keyState())
}

// GoString keeps %#v from printing the key.
func (p Provider) GoString() string { return p.String() }

// LogValue keeps slog from printing the key.
func (p Provider) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", p.Name),
		slog.String("base_url", RedactURL(p.BaseURL)),
		slog.String("api_key", p.keyState()),
	)
}

func (p Provider) keyState() string {
	if p.APIKey == "" {
		return "unset"
	}
	return "set"
}

// Endpoint is the provider's base URL as the response cache keys it: scheme,
// host and path, without credentials, query or a trailing slash, with the
// scheme and host in lower case. Spellings of the same server share entries,
// and a secret carried in the URL (userinfo, or a key in the query) never
// reaches a cache file, which may be committed.
func (p Provider) Endpoint() string {
	raw := p.BaseURL
	if raw == "" {
		raw = OpenAIBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.TrimRight(RedactURL(raw), "/")
	}
	u.User = nil
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	u.RawQuery, u.ForceQuery = "", false
	u.Fragment, u.RawFragment = "", ""
	return strings.TrimRight(u.String(), "/")
}
