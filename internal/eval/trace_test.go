package eval

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestTraceRecordsEveryCall checks the --trace lines against SPEC: one per
// model call (llm-rubric judge calls included), with prompt name and version
// hash, variant, model, rendered messages, response, tokens, latency, cost,
// cache hit, retries and error.
func TestTraceRecordsEveryCall(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var seen []llm.Message // messages of the prompt call, as the endpoint got them
	fake := newFakeChat(t, 0, func(n int64, req chatReq) (int, http.Header, string) {
		if n == 1 {
			return 500, nil, `{"error":{"message":"try again"}}`
		}
		if req.Model == "judge-model" {
			return 200, nil, completion(req.Model, `{"reason":"fine","pass":true,"score":1}`, 50, 7)
		}
		mu.Lock()
		seen = req.Messages
		mu.Unlock()
		return 200, nil, completion(req.Model, "echo: "+lastUser(req.Messages), 100, 10)
	})
	files := map[string]string{
		"prompts/echo.v2.prompt": echoPrompt,
		"evals/echo.yaml": "prompt: echo\nvariant: v2\njudge: judge-model\ntests:\n  - vars: {word: hello}\n" +
			"    assert:\n      - type: contains\n        value: hello\n      - type: llm-rubric\n        value: repeats the word\n",
	}
	set, suites := fixture(t, files)
	p, _ := set.Get("echo", "v2")
	dir := t.TempDir()
	run := func(mode llm.CacheMode, cacheDir string) []TraceRecord {
		t.Helper()
		opts := llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: fake.URL + "/v1", APIKey: "test-key",
			Timeout: 10 * time.Second, MaxRetries: 2}}, Mode: mode,
			Sleep: func(context.Context, time.Duration) error { return nil }}
		opts.Cache = openCache(t, cacheDir)
		client, err := llm.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		r := &Runner{Prompts: set, Client: client, Prices: cost.Builtin(), Concurrency: 1, Trace: NewTraceWriter(&buf)}
		if _, err := r.Run(context.Background(), suites); err != nil {
			t.Fatal(err)
		}
		if err := r.Trace.Flush(); err != nil {
			t.Fatal(err)
		}
		var recs []TraceRecord
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			var rec TraceRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Fatalf("trace line %q: %v", sc.Text(), err)
			}
			recs = append(recs, rec)
		}
		return recs
	}
	price := 100*0.4/1e6 + 10*1.6/1e6 // gpt-4.1-mini, per the built-in table
	want := func(cacheHit bool, retries int) []TraceRecord {
		return []TraceRecord{
			{Prompt: "echo", PromptVersion: p.Hash, Variant: "v2", Suite: "evals/echo.yaml", Turn: 1, Provider: "default",
				Model: "gpt-4.1-mini", Messages: seen, Response: "echo: hello", InputTokens: 100, OutputTokens: 10,
				CostUSD: &price, CacheHit: cacheHit, Retries: retries},
			{Prompt: "echo", PromptVersion: p.Hash, Variant: "v2", Suite: "evals/echo.yaml", Role: "judge", Provider: "default",
				Model: "judge-model", Response: `{"reason":"fine","pass":true,"score":1}`, InputTokens: 50, OutputTokens: 7,
				CacheHit: cacheHit},
		}
	}
	// Latency is real and the judge's messages are the rubric template: check
	// they are there, then compare the rest exactly.
	opts := cmp.Options{cmpopts.IgnoreFields(TraceRecord{}, "LatencyMS", "WaitMS"), cmpopts.EquateApprox(0, 1e-12),
		cmp.FilterPath(func(p cmp.Path) bool {
			return p.Last().String() == ".Messages" && p.Index(-2).(cmp.SliceIndex).Key() == 1
		}, cmp.Ignore())}
	check := func(name string, got, want []TraceRecord) {
		t.Helper()
		if diff := cmp.Diff(want, got, opts); diff != "" {
			t.Errorf("%s: trace (-want +got):\n%s", name, diff)
		}
		for i, rec := range got {
			// A cache hit replays the recorded latency, which the cache keeps
			// in whole milliseconds; this fake answers faster than that.
			if (!rec.CacheHit && rec.LatencyMS <= 0) || len(rec.Messages) == 0 || rec.PromptVersion == "" {
				t.Errorf("%s: record %d: latency %v ms, %d messages, version %q", name, i, rec.LatencyMS, len(rec.Messages), rec.PromptVersion)
			}
		}
	}
	first := run(llm.CacheReadWrite, dir)
	if len(seen) == 0 {
		t.Fatal("the fake never saw the prompt call")
	}
	check("first run", first, want(false, 1))
	check("second run", run(llm.CacheReadWrite, dir), want(true, 0))

	// Offline with an empty cache: the call cannot be made, and its line says
	// why and carries a token estimate instead of reported usage.
	offline := run(llm.CacheOffline, t.TempDir())
	if len(offline) != 1 {
		t.Fatalf("offline miss: %d trace lines, want 1 (no judge call without an output)", len(offline))
	}
	if rec := offline[0]; !strings.Contains(rec.Error, "no recorded response") || rec.CostUSD != nil ||
		rec.EstimatedInputTokens != EstimateInputTokens(seen) || rec.InputTokens != 0 {
		t.Errorf("offline miss record: %+v", rec)
	}
}
