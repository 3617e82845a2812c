package llm_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// BenchmarkComplete measures the client's own overhead per call against a
// loopback server that answers at once: request mapping, the concurrency
// slot, go-openai's encoding and decoding, and keep-alive reuse.
func BenchmarkComplete(b *testing.B) {
	srv := llmfake.NewAPI(b, llmfake.APIOptions{Bench: true, Reply: func(w http.ResponseWriter, _ *http.Request, _ llmfake.Call) {
		answer(w, "ok", 10, 2)
	}})
	req := llm.Request{Model: "gpt-4o-mini", Messages: userMsg, Params: llm.Params{Temperature: ptr(0.0), MaxTokens: 64}}

	b.Run("network", func(b *testing.B) {
		c, err := llm.New(llm.Options{Mode: llm.CacheOff, Providers: []config.Provider{{Name: "default", BaseURL: srv.URL + "/v1", Concurrency: 8}}})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Complete(context.Background(), req); err != nil {
					b.Error(err)
				}
			}
		})
	})
	b.Run("cache-hit", func(b *testing.B) {
		store, err := cache.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		c, err := llm.New(llm.Options{Cache: store, Providers: []config.Provider{{Name: "default", BaseURL: srv.URL + "/v1"}}})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Complete(context.Background(), req); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := c.Complete(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		if c.Calls() != 1 {
			b.Errorf("cache hits made %d HTTP calls", c.Calls()-1)
		}
	})
}
