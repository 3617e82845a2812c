// Command ratelimit-server serves internal/testkit/llmfake, an OpenAI-compatible
// chat-completions endpoint that enforces requests and tokens per minute the
// way OpenAI does, for scripts/bench-ratelimit.sh. It prints its base URL on
// the first line of stdout, and GET /stats answers its counters as JSON.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

func main() {
	os.Exit(run())
}

func run() int {
	var o llmfake.Options
	flag.IntVar(&o.RPM, "rpm", 0, "requests per minute (0: unlimited)")
	flag.IntVar(&o.TPM, "tpm", 0, "tokens per minute (0: unlimited)")
	flag.DurationVar(&o.Latency, "latency", 50*time.Millisecond, "latency of an admitted request")
	flag.StringVar(&o.APIKey, "key", "bench-key", "API key the client must send")
	flag.Parse()
	fake := llmfake.New(o)
	mux := http.NewServeMux()
	mux.Handle("/v1/", fake)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]int64{"requests": fake.Requests.Load(), "throttled": fake.Throttled.Load(),
			"tokens": fake.Tokens.Load(), "bad": fake.Bad.Load(), "peak_in_flight": fake.Peak.Load()})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit-server:", err)
		return 1
	}
	fmt.Printf("http://%s/v1\n", ln.Addr())
	if err := http.Serve(ln, mux); err != nil {
		fmt.Fprintln(os.Stderr, "ratelimit-server:", err)
		return 1
	}
	return 0
}
