package eval

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestRunnerAtRateLimit runs a suite at concurrency 32 against a server that
// enforces a per-minute limit as a bucket holding one second's worth, with no
// limit configured: the client must learn the limit from the headers and pace
// to it. Without pacing, 32 workers at 20 ms latency offer ~1,600 requests/s
// to a 50/s limit and most requests get 429. The bar is structural: no case
// errors, and at most 5% of requests get 429. Timing is left to
// scripts/bench-ratelimit.sh.
func TestRunnerAtRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		rpm, tpm int
		cases    int
	}{
		{name: "requests per minute", rpm: 3000, cases: 200},
		// Each echo call is charged ~23 tokens, so 96,000 tokens/min admits
		// about 70 calls a second, and tokens run out before requests do.
		{name: "tokens per minute", tpm: 96000, cases: 160},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := llmfake.New(llmfake.Options{RPM: tt.rpm, TPM: tt.tpm, Latency: 20 * time.Millisecond, APIKey: "test-key"})
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(tt.cases, "")})
			const conc = 32
			r := &Runner{Prompts: set, Client: newClient(t, srv.URL, conc, 0, "", llm.CacheOff), Concurrency: conc}
			rep, err := r.Run(context.Background(), suites)
			if err != nil {
				t.Fatal(err)
			}
			if p := fake.Problems(); len(p) > 0 {
				t.Fatalf("fake refused %d malformed requests, first: %s", len(p), p[0])
			}
			s := rep.Suites[0]
			if s.Errored != 0 || s.Passed != tt.cases {
				for _, c := range s.Cases {
					if c.Error != "" {
						t.Errorf("case %d: %s", c.Index, c.Error)
						break
					}
				}
				t.Fatalf("passed %d, errored %d of %d cases; want all passed", s.Passed, s.Errored, tt.cases)
			}
			requests, throttled := fake.Requests.Load(), fake.Throttled.Load()
			t.Logf("%d requests, %d answered 429, %d tokens, peak in flight %d", requests, throttled, fake.Tokens.Load(), fake.Peak.Load())
			if throttled*20 > requests {
				t.Errorf("%d of %d requests got 429, over the 5%% bar", throttled, requests)
			}
			if requests != int64(tt.cases)+throttled {
				t.Errorf("%d requests for %d cases and %d 429s; a case was sent twice", requests, tt.cases, throttled)
			}
		})
	}
}
