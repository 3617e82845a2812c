package llm_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

func ptr[T any](v T) *T { return &v }

var userMsg = []llm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "hello"}}

// noSleep records requested waits without waiting.
type noSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *noSleep) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *noSleep) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newClient(t *testing.T, opts llm.Options) *llm.Client {
	t.Helper()
	if opts.Sleep == nil {
		opts.Sleep = (&noSleep{}).sleep
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	c, err := llm.New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestResolve(t *testing.T) {
	t.Parallel()
	providers := []config.Provider{
		{Name: "openrouter", BaseURL: "https://openrouter.ai/api/v1"},
		{Name: "default", BaseURL: "https://api.openai.com/v1"},
		{Name: "local", BaseURL: "http://127.0.0.1:11434/v1"},
	}
	tests := []struct {
		name         string
		defaultName  string
		model        string
		wantProvider string
		wantModel    string
	}{
		{name: "bare name to the provider called default", model: "gpt-4o-mini", wantProvider: "default", wantModel: "gpt-4o-mini"},
		{name: "provider prefix is stripped", model: "local/llama3.1", wantProvider: "local", wantModel: "llama3.1"},
		{name: "only the first segment is a prefix", model: "local/org/model:7b", wantProvider: "local", wantModel: "org/model:7b"},
		{name: "unknown prefix goes whole to default", model: "anthropic/claude-sonnet-4-5", wantProvider: "default", wantModel: "anthropic/claude-sonnet-4-5"},
		{name: "explicit default option", defaultName: "openrouter", model: "anthropic/claude-sonnet-4-5", wantProvider: "openrouter", wantModel: "anthropic/claude-sonnet-4-5"},
		{name: "prefix naming the default provider", defaultName: "openrouter", model: "default/gpt-4o", wantProvider: "default", wantModel: "gpt-4o"},
		{name: "prefix is case sensitive", model: "Local/llama3.1", wantProvider: "default", wantModel: "Local/llama3.1"},
		{name: "leading slash", model: "/llama3.1", wantProvider: "default", wantModel: "/llama3.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, llm.Options{Providers: providers, Default: tt.defaultName})
			p, model := c.Resolve(tt.model)
			if p.Name != tt.wantProvider || model != tt.wantModel {
				t.Errorf("Resolve(%q) = %s, %q; want %s, %q", tt.model, p.Name, model, tt.wantProvider, tt.wantModel)
			}
		})
	}
	t.Run("first provider when none is called default", func(t *testing.T) {
		t.Parallel()
		c := newClient(t, llm.Options{Providers: []config.Provider{{Name: "a"}, {Name: "b"}}})
		if p, _ := c.Resolve("x"); p.Name != "a" {
			t.Errorf("default provider = %s, want a", p.Name)
		}
	})
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts llm.Options
		want string
	}{
		{name: "no providers", opts: llm.Options{}, want: "no providers"},
		{name: "duplicate", opts: llm.Options{Providers: []config.Provider{{Name: "a"}, {Name: "a"}}}, want: "configured twice"},
		{name: "unknown default", opts: llm.Options{Providers: []config.Provider{{Name: "a"}}, Default: "b"}, want: `default provider "b"`},
		{name: "slash in name", opts: llm.Options{Providers: []config.Provider{{Name: "a/b"}}}, want: "cannot contain"},
		{name: "empty name", opts: llm.Options{Providers: []config.Provider{{BaseURL: "http://x"}}}, want: "has no name"},
		{name: "not http", opts: llm.Options{Providers: []config.Provider{{Name: "a", BaseURL: "ftp://x"}}}, want: "not an http(s) URL"},
		{name: "offline without cache", opts: llm.Options{Providers: []config.Provider{{Name: "a"}}, Mode: llm.CacheOffline}, want: "needs a response cache"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := llm.New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestRequestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		model  string
		params llm.Params
		want   chatBody
	}{
		{name: "unset params are absent", model: "gpt-4o-mini",
			want: chatBody{Model: "gpt-4o-mini", Messages: userMsg}},
		{name: "explicit zero temperature and top_p are sent", model: "gpt-4o-mini",
			params: llm.Params{Temperature: ptr(0.0), TopP: ptr(0.0)},
			want:   chatBody{Model: "gpt-4o-mini", Messages: userMsg, Temperature: ptr(0.0), TopP: ptr(0.0)}},
		{name: "all params", model: "gpt-4o-mini",
			params: llm.Params{Temperature: ptr(0.7), TopP: ptr(0.9), MaxTokens: 256, Stop: []string{"\n\n"}, Seed: ptr(42), JSONMode: true},
			want: chatBody{Model: "gpt-4o-mini", Messages: userMsg, Temperature: ptr(0.7), TopP: ptr(0.9), MaxTokens: 256,
				Stop: []string{"\n\n"}, Seed: ptr(42), ResponseFormat: &struct {
					Type string `json:"type"`
				}{Type: "json_object"}}},
		{name: "reasoning models get max_completion_tokens", model: "o3-mini",
			params: llm.Params{MaxTokens: 500},
			want:   chatBody{Model: "o3-mini", Messages: userMsg, MaxCompletionTokens: 500}},
		{name: "sample number is not sent", model: "gpt-4o-mini",
			params: llm.Params{Sample: 2},
			want:   chatBody{Model: "gpt-4o-mini", Messages: userMsg}},
		{name: "slashed model sent whole", model: "anthropic/claude-sonnet-4-5",
			params: llm.Params{MaxTokens: 100},
			want:   chatBody{Model: "anthropic/claude-sonnet-4-5", Messages: userMsg, MaxTokens: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "sk-test", echo)
			c := newClient(t, llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL(), APIKey: "sk-test"}}, Mode: llm.CacheOff})
			resp, err := c.Complete(context.Background(), llm.Request{Model: tt.model, Messages: userMsg, Params: tt.params})
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			wantResp := llm.Response{Content: "echo: hello", Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}, Provider: "default", Model: tt.model,
				FinishReason: "stop", ResponseModel: "m"} // what the fake reports
			if diff := cmp.Diff(wantResp, resp, cmpopts.IgnoreFields(llm.Response{}, "Latency")); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if resp.Latency <= 0 {
				t.Errorf("Latency = %v, want > 0", resp.Latency)
			}
			if diff := cmp.Diff([]chatBody{tt.want}, f.received()); diff != "" {
				t.Errorf("request body (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRouting sends prefixed and bare model names through a client with two
// providers and checks which server got each, with which model and key.
func TestRouting(t *testing.T) {
	t.Parallel()
	remote := newFake(t, "sk-remote", echo)
	local := newFake(t, "", echo) // a local server gets no Authorization header
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{
		{Name: "default", BaseURL: remote.BaseURL(), APIKey: "sk-remote"},
		{Name: "local", BaseURL: local.BaseURL() + "/"},
	}})
	for _, model := range []string{"gpt-4o", "local/llama3.1", "anthropic/claude-sonnet-4-5", "local/qwen/qwen3:8b"} {
		resp, err := c.Complete(context.Background(), llm.Request{Model: model, Messages: userMsg})
		if err != nil {
			t.Fatalf("Complete(%q): %v", model, err)
		}
		wantProvider := "default"
		if strings.HasPrefix(model, "local/") {
			wantProvider = "local"
		}
		if resp.Provider != wantProvider {
			t.Errorf("Complete(%q) served by %s, want %s", model, resp.Provider, wantProvider)
		}
	}
	models := func(f *fakeAPI) []string {
		var out []string
		for _, b := range f.received() {
			out = append(out, b.Model)
		}
		return out
	}
	if diff := cmp.Diff([]string{"gpt-4o", "anthropic/claude-sonnet-4-5"}, models(remote)); diff != "" {
		t.Errorf("remote models (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"llama3.1", "qwen/qwen3:8b"}, models(local)); diff != "" {
		t.Errorf("local models (-want +got):\n%s", diff)
	}
}

func TestAzure(t *testing.T) {
	t.Parallel()
	var gotVersion string
	f := newFakeWith(t, llmfake.APIOptions{Path: "/openai/deployments/my-gpt-4o/chat/completions", AuthHeader: "api-key", Auth: "azure-secret"},
		func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
			gotVersion = r.URL.Query().Get("api-version")
			echo(n, body, w, r)
		})
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{
		{Name: "azure", BaseURL: f.URL, APIKey: "azure-secret", Azure: true},
	}})
	if _, err := c.Complete(context.Background(), llm.Request{Model: "my-gpt-4o", Messages: userMsg}); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	if gotVersion != config.DefaultAzureAPIVersion {
		t.Errorf("api-version = %q, want %q", gotVersion, config.DefaultAzureAPIVersion)
	}
	if p, _ := c.Resolve("x"); p.Name != "azure" || !p.Azure {
		t.Errorf("Resolve gave %v", p)
	}
	auto := newClient(t, llm.Options{Providers: []config.Provider{{Name: "az", BaseURL: "https://contoso.openai.azure.com/"}}})
	if p, _ := auto.Resolve("x"); !p.Azure || p.APIVersion != config.DefaultAzureAPIVersion {
		t.Errorf("bare *.openai.azure.com base URL: Azure %t, APIVersion %q; want Azure mode", p.Azure, p.APIVersion)
	}
	v1 := newClient(t, llm.Options{Providers: []config.Provider{{Name: "az", BaseURL: "https://contoso.openai.azure.com/openai/v1"}}})
	if p, _ := v1.Resolve("x"); p.Azure {
		t.Error("Azure's OpenAI-compatible /openai/v1 endpoint was put in deployment mode")
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	f := newFake(t, "sk-test", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		echo(n, body, w, r)
	})
	providers := []config.Provider{{Name: "default", BaseURL: f.BaseURL(), APIKey: "sk-test"}}
	dir := t.TempDir()
	store, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	req := llm.Request{Model: "gpt-4o-mini", Messages: userMsg, Params: llm.Params{Temperature: ptr(0.0)}}

	c := newClient(t, llm.Options{Providers: providers, Cache: store})
	first, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if first.CacheHit || c.Calls() != 1 {
		t.Fatalf("first call: CacheHit %t, Calls %d; want a miss and one call", first.CacheHit, c.Calls())
	}

	// A second client, as a second run would be, answers from the cache.
	again := newClient(t, llm.Options{Providers: providers, Cache: store})
	second, err := again.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.Calls() != 0 {
		t.Errorf("second run made %d HTTP calls, want 0", again.Calls())
	}
	want := first
	want.CacheHit = true
	want.Latency = first.Latency.Truncate(time.Millisecond)
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("cache hit (-want +got):\n%s", diff)
	}

	offline := newClient(t, llm.Options{Providers: providers, Cache: store, Mode: llm.CacheOffline})
	if resp, err := offline.Complete(context.Background(), req); err != nil || !resp.CacheHit || offline.Calls() != 0 {
		t.Errorf("offline hit: CacheHit %t, err %v, Calls %d", resp.CacheHit, err, offline.Calls())
	}

	// --no-cache calls every time and writes nothing.
	offDir := t.TempDir()
	offStore, err := cache.Open(offDir)
	if err != nil {
		t.Fatal(err)
	}
	off := newClient(t, llm.Options{Providers: providers, Cache: offStore, Mode: llm.CacheOff})
	for range 2 {
		if resp, err := off.Complete(context.Background(), req); err != nil || resp.CacheHit {
			t.Fatalf("no-cache call: CacheHit %t, err %v", resp.CacheHit, err)
		}
	}
	if off.Calls() != 2 {
		t.Errorf("no-cache made %d calls, want 2", off.Calls())
	}
	if entries, _ := filepath.Glob(filepath.Join(offDir, "*", "*.json")); len(entries) != 0 {
		t.Errorf("no-cache wrote entries: %v", entries)
	}
	// Even with an entry present, CacheOff must not read it.
	offRead := newClient(t, llm.Options{Providers: providers, Cache: store, Mode: llm.CacheOff})
	if resp, err := offRead.Complete(context.Background(), req); err != nil || resp.CacheHit || offRead.Calls() != 1 {
		t.Errorf("no-cache with a recorded entry: CacheHit %t, err %v, Calls %d", resp.CacheHit, err, offRead.Calls())
	}
}

func TestOfflineMiss(t *testing.T) {
	t.Parallel()
	store, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// The base URL is unroutable: an attempt to call would fail the test's
	// expectations with a Network error rather than a CacheMiss.
	c := newClient(t, llm.Options{Cache: store, Mode: llm.CacheOffline, Providers: []config.Provider{
		{Name: "default", BaseURL: "http://127.0.0.1:1/v1", APIKeyEnv: "OPENAI_API_KEY"},
	}})
	_, err = c.Complete(context.Background(), llm.Request{Model: "gpt-4o-mini", Messages: userMsg})
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Kind != llm.CacheMiss || ce.Attempts != 0 {
		t.Fatalf("err = %#v, want a CallError of kind cache-miss with no attempts", err)
	}
	for _, want := range []string{"default/gpt-4o-mini", "cache-miss", "without --offline", "$OPENAI_API_KEY"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("offline miss message %q does not mention %q", err, want)
		}
	}
	if c.Calls() != 0 {
		t.Errorf("offline miss made %d calls", c.Calls())
	}
}

func TestNoAPIKey(t *testing.T) {
	t.Parallel()
	// api.openai.com is never contacted: the missing key is caught first.
	c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{{Name: "default", APIKeyEnv: "OPENAI_API_KEY"}}})
	_, err := c.Complete(context.Background(), llm.Request{Model: "gpt-4o", Messages: userMsg})
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Kind != llm.NoAPIKey || !strings.Contains(err.Error(), "$OPENAI_API_KEY is not set") {
		t.Fatalf("err = %v, want a no-api-key CallError naming $OPENAI_API_KEY", err)
	}
	if c.Calls() != 0 {
		t.Errorf("made %d calls without a key", c.Calls())
	}
	// A local server needs no key (the fake checks no header is sent).
	local := newFake(t, "", echo)
	lc := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{{Name: "default", BaseURL: local.BaseURL()}}})
	if _, err := lc.Complete(context.Background(), llm.Request{Model: "llama3.1", Messages: userMsg}); err != nil {
		t.Errorf("local call without a key: %v", err)
	}
}

// TestKeyNeverLeaks has servers echo the Authorization header back in error
// bodies, then checks error strings, logs and provider formatting.
func TestKeyNeverLeaks(t *testing.T) {
	t.Parallel()
	const key = "sk-proj-SECRET-0123456789abcdef"
	for _, status := range []int{http.StatusUnauthorized, http.StatusBadRequest, http.StatusInternalServerError, http.StatusTooManyRequests} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			f := newFake(t, key, func(_ int, _ chatBody, w http.ResponseWriter, r *http.Request) {
				if status%2 == 0 {
					apiError(w, status, "bad key "+r.Header.Get("Authorization"))
					return
				}
				w.WriteHeader(status)
				fmt.Fprint(w, "<html>denied for "+r.Header.Get("Authorization")+"</html>")
			})
			var logs bytes.Buffer
			p := config.Provider{Name: "default", BaseURL: f.BaseURL(), APIKey: key, MaxRetries: 1}
			c := newClient(t, llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{p},
				Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			_, err := c.Complete(context.Background(), llm.Request{Model: "gpt-4o", Messages: userMsg})
			if err == nil {
				t.Fatal("want an error")
			}
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("provider", "p", p)
			for what, s := range map[string]string{
				"error": err.Error(), "logs": logs.String(),
				"%v": fmt.Sprintf("%v", p), "%+v": fmt.Sprintf("%+v", p), "%#v": fmt.Sprintf("%#v", p),
			} {
				if strings.Contains(s, key) || strings.Contains(s, "SECRET") {
					t.Errorf("%s contains the API key: %s", what, s)
				}
			}
			if !strings.Contains(err.Error(), "[REDACTED]") {
				t.Errorf("error %q: want the echoed key shown as [REDACTED]", err)
			}
		})
	}
}

func TestOnCall(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		if body.Model == "broken" {
			apiError(w, http.StatusServiceUnavailable, "overloaded")
			return
		}
		if n == 1 {
			apiError(w, http.StatusServiceUnavailable, "busy")
			return
		}
		echo(n, body, w, r)
	})
	store, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var records []llm.CallRecord
	c := newClient(t, llm.Options{Cache: store, Providers: []config.Provider{{Name: "local", BaseURL: f.BaseURL(), MaxRetries: 2}},
		OnCall: func(r llm.CallRecord) { mu.Lock(); records = append(records, r); mu.Unlock() }})
	req := llm.Request{Model: "local/llama3.1", Messages: userMsg, Params: llm.Params{MaxTokens: 9}}
	for range 2 {
		if _, err := c.Complete(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Complete(context.Background(), llm.Request{Model: "broken", Messages: userMsg}); err == nil {
		t.Fatal("want an error for the broken model")
	}
	want := []llm.CallRecord{
		{Provider: "local", Model: "llama3.1", Messages: userMsg, Params: req.Params, Content: "echo: hello", Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}, Retries: 1},
		{Provider: "local", Model: "llama3.1", Messages: userMsg, Params: req.Params, Content: "echo: hello", Usage: llm.Usage{InputTokens: 10, OutputTokens: 5}, CacheHit: true},
		{Provider: "local", Model: "broken", Messages: userMsg, Retries: 2, Err: "local/broken: server-error (HTTP 503) after 3 attempts: overloaded"},
	}
	if diff := cmp.Diff(want, records, cmpopts.IgnoreFields(llm.CallRecord{}, "Latency", "Waited")); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
}

// TestDamagedCacheEntry: a damaged entry is a miss that the next call heals.
func TestDamagedCacheEntry(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", echo)
	dir := t.TempDir()
	store, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	store.Logger = slog.New(slog.DiscardHandler)
	req := llm.Request{Model: "llama3.1", Messages: userMsg}
	key := cache.Key("default", f.BaseURL(), "llama3.1", userMsg, llm.Params{})
	path := filepath.Join(dir, key[:2], key+".json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("<<<<<<< HEAD"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, llm.Options{Cache: store, Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL()}}})
	for i, wantHit := range []bool{false, true} {
		resp, err := c.Complete(context.Background(), req)
		if err != nil || resp.CacheHit != wantHit || resp.Content != "echo: hello" {
			t.Errorf("call %d: %q, CacheHit %t, err %v; want CacheHit %t", i, resp.Content, resp.CacheHit, err, wantHit)
		}
	}
	if c.Calls() != 1 {
		t.Errorf("Calls = %d, want 1", c.Calls())
	}
}
