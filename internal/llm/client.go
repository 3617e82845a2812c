package llm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/ratelimit"
)

// Options configure a Client.
type Options struct {
	// Providers are the configured endpoints; at least one is required.
	Providers []config.Provider
	// Default names the provider that serves model names without a provider
	// prefix. Empty means the provider named "default", else the first.
	Default string
	// Cache is consulted according to Mode; a *cache.Store fits. Nil means no
	// cache, which CacheOffline does not accept.
	Cache ResponseCache
	// Mode says how Cache is used; the zero value is CacheReadWrite.
	Mode CacheMode
	// Logger receives retry and cache warnings; nil means slog.Default().
	Logger *slog.Logger
	// Sleep waits between retries; nil means a real, context-aware sleep.
	// Tests inject one to record and shorten waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnCall, when set, is called once per Complete, cache hits and errors
	// included, for --trace. It may be called from many goroutines at once.
	OnCall func(CallRecord)
	// Now is the clock used for Retry-After dates; nil means time.Now.
	Now func() time.Time
	// Budget, when set, bounds the HTTP attempts (retries included) this
	// client and any other sharing it make; past it a call ends as OverBudget.
	Budget *Budget
}

// CallRecord describes one Complete for tracing.
type CallRecord struct {
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Messages []Message `json:"messages"`
	Params   Params    `json:"params"`
	Content  string    `json:"content"`
	// ToolCalls are the calls the model asked for.
	ToolCalls []ToolCall    `json:"tool_calls,omitempty"`
	Usage     Usage         `json:"usage"`
	Latency   time.Duration `json:"latency"`
	CacheHit  bool          `json:"cache_hit"`
	Retries   int           `json:"retries"`
	// Throttled counts 429 answers; Waited is the time held back by pacing
	// and waiting out 429s and retries.
	Throttled int           `json:"throttled"`
	Waited    time.Duration `json:"waited"`
	// Err is the error text, empty on success.
	Err string `json:"error,omitempty"`
}

// Client makes chat completions against the configured providers. It is safe
// for concurrent use; each provider's concurrency limit is shared by all
// callers.
type Client struct {
	providers map[string]*endpoint
	def       *endpoint
	cache     ResponseCache
	mode      CacheMode
	log       *slog.Logger
	sleep     func(context.Context, time.Duration) error
	onCall    func(CallRecord)
	now       func() time.Time
	budget    *Budget
	calls     atomic.Int64
}

var _ Completer = (*Client)(nil)

// endpoint is a provider with its go-openai client, concurrency slots, and
// one rate limiter per model, since OpenAI and Anthropic set limits per model.
type endpoint struct {
	config.Provider
	api      *openai.Client
	slots    chan struct{}
	newLimit func() *ratelimit.Limiter
	mu       sync.Mutex
	limits   map[string]*ratelimit.Limiter
	// refusedWithoutKey is set once the endpoint answered 401 or 403 to a call
	// sent without a key (OpenRouter, a keyed LiteLLM proxy): later calls are
	// then failed as NoAPIKey without going out, with the same message, so a
	// report can say it once.
	// The value is the HTTP status, 0 until then.
	refusedWithoutKey atomic.Int32
	// reach is the endpoint's preflight (see preflight.go).
	reach reachability
}

// limiter returns the model's limiter, creating it on first use.
func (e *endpoint) limiter(model string) *ratelimit.Limiter {
	e.mu.Lock()
	defer e.mu.Unlock()
	l, ok := e.limits[model]
	if !ok {
		l = e.newLimit()
		e.limits[model] = l
	}
	return l
}

// Pacing is one provider and model's rate-limit pacing so far.
type Pacing struct {
	Provider, Model string
	ratelimit.Stats
}

// Pacing reports, per provider and model called so far, the limits in force
// and the waits and 429s, sorted by provider and model.
func (c *Client) Pacing() []Pacing {
	var out []Pacing
	for _, e := range c.providers {
		e.mu.Lock()
		for m, l := range e.limits {
			out = append(out, Pacing{Provider: e.Name, Model: m, Stats: l.Stats()})
		}
		e.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b Pacing) int {
		return cmp.Or(strings.Compare(a.Provider, b.Provider), strings.Compare(a.Model, b.Model))
	})
	return out
}

// New checks the options and builds a Client.
func New(opts Options) (*Client, error) {
	if len(opts.Providers) == 0 {
		return nil, errors.New("create model client: no providers configured")
	}
	if opts.Mode == CacheOffline && opts.Cache == nil {
		return nil, errors.New("create model client: offline mode needs a response cache")
	}
	c := &Client{
		providers: make(map[string]*endpoint, len(opts.Providers)),
		cache:     opts.Cache,
		mode:      opts.Mode,
		log:       opts.Logger,
		sleep:     opts.Sleep,
		onCall:    opts.OnCall,
		now:       opts.Now,
		budget:    opts.Budget,
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.sleep == nil {
		c.sleep = ratelimit.Sleep
	}
	if c.now == nil {
		c.now = time.Now
	}
	for _, raw := range opts.Providers {
		p, err := withDefaults(raw)
		if err != nil {
			return nil, fmt.Errorf("create model client: %w", err)
		}
		if _, dup := c.providers[p.Name]; dup {
			return nil, fmt.Errorf("create model client: provider %q configured twice", p.Name)
		}
		e := &endpoint{Provider: p, api: newAPI(p, &c.calls), slots: make(chan struct{}, p.Concurrency),
			limits: map[string]*ratelimit.Limiter{}}
		e.newLimit = func() *ratelimit.Limiter {
			return ratelimit.New(ratelimit.Options{MaxConcurrency: p.Concurrency, RPM: p.RPM, TPM: p.TPM,
				Now: c.now, Sleep: c.sleep})
		}
		c.providers[p.Name] = e
		if c.def == nil {
			c.def = e
		}
	}
	switch def := opts.Default; {
	case def != "":
		e, ok := c.providers[def]
		if !ok {
			return nil, fmt.Errorf("create model client: default provider %q is not configured", def)
		}
		c.def = e
	case c.providers["default"] != nil:
		c.def = c.providers["default"]
	}
	return c, nil
}

func newAPI(p config.Provider, calls *atomic.Int64) *openai.Client {
	cfg := openai.DefaultConfig(p.APIKey)
	if p.Azure {
		cfg = openai.DefaultAzureConfig(p.APIKey, p.BaseURL)
		cfg.APIVersion = p.APIVersion
		// The model name is the deployment name, exactly as written.
		cfg.AzureModelMapperFunc = func(model string) string { return model }
	}
	cfg.BaseURL = strings.TrimRight(p.BaseURL, "/")
	// Timeouts are per attempt, through the context, so the http.Client has none.
	cfg.HTTPClient = &http.Client{Transport: newTransport(p, calls)}
	return openai.NewClientWithConfig(cfg)
}

// Resolve applies the routing rule: a prefix before the first "/" that names
// a configured provider picks that provider and is removed; any other model
// string, slashes included, goes whole to the default provider.
func (c *Client) Resolve(model string) (provider config.Provider, modelName string) {
	e, name := c.resolve(model)
	return e.Provider, name
}

func (c *Client) resolve(model string) (*endpoint, string) {
	if prefix, rest, ok := strings.Cut(model, "/"); ok {
		if e, ok := c.providers[prefix]; ok {
			return e, rest
		}
	}
	return c.def, model
}

// Calls is the number of HTTP attempts made so far, retries included.
func (c *Client) Calls() int64 { return c.calls.Load() }

// Complete makes one chat completion: from the cache when the mode allows and
// it has the answer, otherwise from the provider, with retries. Any failure
// is a *CallError.
func (c *Client) Complete(ctx context.Context, req Request) (Response, error) {
	e, model := c.resolve(req.Model)
	resp, err := c.complete(ctx, e, model, req)
	if c.onCall != nil {
		rec := CallRecord{
			Provider: e.Name, Model: model, Messages: req.Messages, Params: req.Params,
			Content: resp.Content, ToolCalls: resp.ToolCalls, Usage: resp.Usage, Latency: resp.Latency,
			CacheHit: resp.CacheHit, Retries: resp.Retries, Throttled: resp.Throttled, Waited: resp.Waited,
		}
		if err != nil {
			rec.Err = err.Error()
			if ce, ok := errors.AsType[*CallError](err); ok {
				rec.Retries, rec.Throttled = max(0, ce.Attempts-1), ce.Throttled
			}
		}
		c.onCall(rec)
	}
	return resp, err
}

func (c *Client) complete(ctx context.Context, e *endpoint, model string, req Request) (Response, error) {
	fail := func(kind ErrorKind, err error) (Response, error) {
		return Response{}, &CallError{Kind: kind, Provider: e.Name, Model: model, Err: err}
	}
	if model == "" {
		return fail(BadRequest, fmt.Errorf("empty model name in %q", req.Model))
	}
	if err := checkParams(req.Params); err != nil {
		return fail(BadRequest, err)
	}
	if e.Untrusted != "" {
		return fail(Untrusted, errors.New(e.Untrusted))
	}
	endpoint := e.Endpoint()
	if c.mode != CacheOff && c.cache != nil {
		resp, ok, err := c.cache.Lookup(e.Name, endpoint, model, req.Messages, req.Params)
		if err != nil {
			c.log.Warn("response cache lookup failed; treating as a miss", "provider", e.Name, "model", model, "err", err)
		}
		if ok {
			resp.Provider, resp.Model, resp.CacheHit, resp.Retries = e.Name, model, true, 0
			return resp, nil
		}
	}
	if c.mode == CacheOffline {
		return fail(CacheMiss, fmt.Errorf("no recorded response for this call in offline mode; "+
			"run once without --offline, with %s set, to record it", keyEnvName(e.Provider)))
	}
	if e.APIKey == "" && needsKey(e.Provider) {
		return fail(NoAPIKey, fmt.Errorf("%s is not set; it is needed for %s", keyEnvName(e.Provider), config.RedactURL(e.BaseURL)))
	}
	if e.APIKey == "" {
		if status := e.refusedWithoutKey.Load(); status != 0 {
			return fail(NoAPIKey, refusedWithoutKey(e, int(status)))
		}
	}

	if err := e.preflight(ctx); err != nil {
		return fail(EndpointDown, err)
	}
	resp, err := c.call(ctx, e, model, req)
	if err != nil {
		return resp, keyError(e, err)
	}
	if c.mode == CacheReadWrite && c.cache != nil {
		if err := c.cache.Save(e.Name, endpoint, model, req.Messages, req.Params, resp); err != nil {
			c.log.Warn("could not record response in cache", "provider", e.Name, "model", model, "err", err)
		}
	}
	return resp, nil
}

// keyError names a 401 or 403 for what it almost always is: with no key set,
// a missing key (NoAPIKey, as if known before the call); with one, a key the
// endpoint does not accept. Both say which variable to fix.
func keyError(e *endpoint, err error) error {
	var ce *CallError
	if !errors.As(err, &ce) || ce.Kind != Auth {
		return err
	}
	if e.APIKey == "" {
		e.refusedWithoutKey.Store(int32(ce.Status))
		return &CallError{Kind: NoAPIKey, Attempts: ce.Attempts, Provider: ce.Provider, Model: ce.Model, Err: refusedWithoutKey(e, ce.Status)}
	}
	out := *ce
	out.Err = fmt.Errorf("the key in %s was refused: check it is a valid key for %s (%v)", keyEnvName(e.Provider), config.RedactURL(e.BaseURL), ce.Err)
	return &out
}

func refusedWithoutKey(e *endpoint, status int) error {
	return fmt.Errorf("%s is not set, and %s refuses calls without a key (HTTP %d)", keyEnvName(e.Provider), config.RedactURL(e.BaseURL), status)
}

func keyEnvName(p config.Provider) string {
	if p.APIKeyEnv != "" {
		return "$" + p.APIKeyEnv
	}
	return "the API key"
}

// checkParams refuses values no endpoint accepts and JSON cannot carry.
func checkParams(p Params) error {
	for name, v := range map[string]*float64{"temperature": p.Temperature, "top_p": p.TopP} {
		if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0) {
			return fmt.Errorf("invalid %s %v", name, *v)
		}
	}
	if p.MaxTokens < 0 {
		return fmt.Errorf("invalid max tokens %d", p.MaxTokens)
	}
	return nil
}

// withDefaults fills zero fields and checks the rest.
func withDefaults(p config.Provider) (config.Provider, error) {
	if p.Name == "" {
		return p, fmt.Errorf("provider with base URL %q has no name", p.BaseURL)
	}
	if strings.Contains(p.Name, "/") {
		return p, fmt.Errorf("provider %q: a name cannot contain %q, which separates it from the model", p.Name, "/")
	}
	if p.BaseURL == "" {
		p.BaseURL = config.OpenAIBaseURL
	}
	u, err := url.Parse(p.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return p, fmt.Errorf("provider %q: base URL %q is not an http(s) URL", p.Name, config.RedactURL(p.BaseURL))
	}
	if p.Concurrency <= 0 {
		p.Concurrency = config.DefaultConcurrency
	}
	if p.Timeout <= 0 {
		p.Timeout = config.DefaultTimeout
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
		p.APIVersion = config.DefaultAzureAPIVersion
	}
	return p, nil
}

// needsKey reports whether a call without a key is certain to be refused:
// OpenAI's public API and Azure always want one; local servers do not.
func needsKey(p config.Provider) bool {
	if p.Azure {
		return true
	}
	u, err := url.Parse(p.BaseURL)
	return err == nil && u.Hostname() == "api.openai.com"
}
