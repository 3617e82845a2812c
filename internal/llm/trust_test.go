package llm_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestCacheKeyIncludesEndpoint: one cache directory, one provider name, two
// endpoints. A response recorded from the first server never answers for the
// second: a config change that points a provider elsewhere gets real calls.
func TestCacheKeyIncludesEndpoint(t *testing.T) {
	t.Parallel()
	first := newFake(t, "", func(_ int, _ chatBody, w http.ResponseWriter, _ *http.Request) {
		answer(w, "from the first server", 5, 5)
	})
	second := newFake(t, "", func(_ int, _ chatBody, w http.ResponseWriter, _ *http.Request) {
		answer(w, "from the second server", 5, 5)
	})
	store, err := cache.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	req := llm.Request{Model: "llama3.1", Messages: userMsg}
	for i, f := range []*fakeAPI{first, second, first} {
		c := newClient(t, llm.Options{Cache: store, Providers: []config.Provider{{Name: "default", BaseURL: f.BaseURL()}}})
		resp, err := c.Complete(context.Background(), req)
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		want := map[*fakeAPI]string{first: "from the first server", second: "from the second server"}[f]
		if resp.Content != want || resp.CacheHit != (i == 2) {
			t.Errorf("call %d: %q (cache hit %t), want %q (cache hit %t)", i, resp.Content, resp.CacheHit, want, i == 2)
		}
	}
	if n := first.Requests() + second.Requests(); n != 2 {
		t.Errorf("%d requests, want 2 (one per endpoint)", n)
	}
}

// TestEndpointDropsCredentials: the endpoint a cache entry is filed under
// never carries a base URL's credentials, and spelling differences that reach
// the same server do not split the cache.
func TestEndpointDropsCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, want string }{
		{"", "https://api.openai.com/v1"},
		{"https://user:s3cret@Proxy.Example.com/v1/", "https://proxy.example.com/v1"},
		{"HTTP://127.0.0.1:11434/v1", "http://127.0.0.1:11434/v1"},
		{"https://gw.example/openai/v1?key=s3cret", "https://gw.example/openai/v1"},
	}
	for _, tt := range tests {
		if got := (config.Provider{BaseURL: tt.base}).Endpoint(); got != tt.want {
			t.Errorf("Endpoint(%q) = %q, want %q", tt.base, got, tt.want)
		}
	}
}

// TestUntrustedProviderIsNeverCalled: a provider the change under check adds
// fails every call with kind Untrusted before the cache or the network.
func TestUntrustedProviderIsNeverCalled(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", echo)
	c := newClient(t, llm.Options{Providers: []config.Provider{
		{Name: "default", BaseURL: f.BaseURL()},
		{Name: "mine", BaseURL: f.BaseURL(), Untrusted: "provider mine is added by this change"},
	}})
	_, err := c.Complete(context.Background(), llm.Request{Model: "mine/llama3.1", Messages: userMsg})
	var ce *llm.CallError
	if !errors.As(err, &ce) || ce.Kind != llm.Untrusted || !strings.Contains(err.Error(), "added by this change") {
		t.Fatalf("Complete = %v, want an Untrusted CallError", err)
	}
	if f.Requests() != 0 || c.Calls() != 0 {
		t.Errorf("%d requests to the untrusted provider", f.Requests())
	}
}

// TestErrorsHideURLCredentials: a base URL with credentials in its userinfo
// never shows them in an error, a log line or a provider's description.
func TestErrorsHideURLCredentials(t *testing.T) {
	t.Parallel()
	const secret = "s3cret-pw"
	var logs strings.Builder
	tests := []struct {
		name string
		p    config.Provider
	}{
		// Azure always needs a key: the no-key error names the endpoint.
		{"no key", config.Provider{Name: "azure", BaseURL: "https://deploy:" + secret + "@res.openai.azure.com", Azure: true}},
		// Nothing listens on port 1: Go's error quotes the request URL.
		{"network error", config.Provider{Name: "proxy", BaseURL: "http://deploy:" + secret + "@127.0.0.1:1/v1"}},
	}
	for _, tt := range tests {
		c := newClient(t, llm.Options{Providers: []config.Provider{tt.p}, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		_, err := c.Complete(context.Background(), llm.Request{Model: "m", Messages: userMsg})
		if err == nil {
			t.Fatalf("%s: call succeeded", tt.name)
		}
		for _, text := range []string{err.Error(), fmt.Sprint(tt.p), fmt.Sprintf("%#v", tt.p), logs.String()} {
			if strings.Contains(text, secret) || strings.Contains(text, "deploy:") {
				t.Errorf("%s: credentials shown: %s", tt.name, text)
			}
		}
	}
	if got := config.RedactURL(`Post "https://u:p@h/v1/chat": dial tcp`); got != `Post "https://REDACTED@h/v1/chat": dial tcp` {
		t.Errorf("RedactURL = %s", got)
	}
}
