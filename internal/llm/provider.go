package llm

import (
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// OpenAIBaseURL is OpenAI's public API, the base URL of a provider that names none.
const OpenAIBaseURL = "https://api.openai.com/v1"

// DefaultAzureAPIVersion is the Azure OpenAI api-version sent when a provider
// in Azure mode names none.
const DefaultAzureAPIVersion = "2024-10-21"

// Defaults applied to a Provider's zero fields by New.
const (
	DefaultConcurrency = 8
	DefaultTimeout     = 60 * time.Second
)

// Provider is one OpenAI-compatible chat-completions endpoint: OpenAI,
// OpenRouter, Ollama, vLLM, a LiteLLM proxy, or Azure OpenAI. Requests go to
// POST {BaseURL}/chat/completions with "Authorization: Bearer {APIKey}" (no
// header when the key is empty, as local servers expect).
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
	// APIKeyEnv names the environment variable the key was read from; it is
	// used in messages, never to read the key here.
	APIKeyEnv string
	// APIKey is the resolved secret. It is never logged or put in an error;
	// String and LogValue redact it.
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
	// before it ends as an error; 0 means DefaultRateLimitWait.
	RateLimitWait time.Duration
	// Azure selects Azure OpenAI's deployment-style API (see above).
	Azure bool
	// APIVersion is Azure's api-version; empty means DefaultAzureAPIVersion.
	APIVersion string
	// Untrusted, when set, says why this provider must not be called: the
	// change under check added it. Every call to it fails with kind Untrusted,
	// before the cache or the network is consulted.
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

// withDefaults fills zero fields and checks the rest.
func (p Provider) withDefaults() (Provider, error) {
	if p.Name == "" {
		return p, fmt.Errorf("provider with base URL %q has no name", p.BaseURL)
	}
	if strings.Contains(p.Name, "/") {
		return p, fmt.Errorf("provider %q: a name cannot contain %q, which separates it from the model", p.Name, "/")
	}
	if p.BaseURL == "" {
		p.BaseURL = OpenAIBaseURL
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p, fmt.Errorf("provider %q: base URL %q is not an http(s) URL", p.Name, RedactURL(p.BaseURL))
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.RateLimitWait <= 0 {
		p.RateLimitWait = DefaultRateLimitWait
	}
	if p.MaxRetries < 0 {
		p.MaxRetries = 0
	}
	if strings.HasSuffix(u.Hostname(), ".openai.azure.com") && strings.Trim(u.Path, "/") == "" {
		p.Azure = true
	}
	if p.Azure && p.APIVersion == "" {
		p.APIVersion = DefaultAzureAPIVersion
	}
	return p, nil
}

// needsKey reports whether a call without a key is certain to be refused:
// OpenAI's public API and Azure always want one; local servers do not.
func (p Provider) needsKey() bool {
	if p.Azure {
		return true
	}
	u, err := url.Parse(p.BaseURL)
	return err == nil && u.Hostname() == "api.openai.com"
}

// userinfoRE matches the credentials part of a URL ("scheme://user:pass@"),
// wherever a URL appears in a text.
var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s"'<>]*@`)

// RedactURL hides the credentials a URL carries in its userinfo
// ("https://user:secret@proxy/v1" becomes "https://REDACTED@proxy/v1"). It
// works on any text, so error messages that quote a URL can go through it too.
func RedactURL(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoRE.ReplaceAllString(s, "${1}REDACTED@")
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
