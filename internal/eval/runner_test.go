package eval

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/suite"
)

func openCache(t testing.TB, dir string) *cache.Store {
	t.Helper()
	s, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunGradesAndAggregates(t *testing.T) {
	t.Parallel()
	// Every third case answers without the expected word, so it fails its assertion.
	fake := newFakeChat(t, 0, func(n int64, req chatReq) (int, http.Header, string) {
		word := lastUser(req.Messages)
		if strings.HasSuffix(word, "0") || strings.HasSuffix(word, "3") || strings.HasSuffix(word, "6") {
			word = "something else"
		}
		return 200, nil, completion(req.Model, word, 100, 10)
	})
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(9, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 4, 0, "", llm.CacheOff), Prices: cost.Builtin(), Concurrency: 4}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Suites[0]
	if s.Passed != 6 || s.Failed != 3 || s.Errored != 0 {
		t.Fatalf("pass/fail/error = %d/%d/%d, want 6/3/0", s.Passed, s.Failed, s.Errored)
	}
	if s.MeanInputTokens != 100 || s.MeanOutputTokens != 10 {
		t.Errorf("mean tokens = %v/%v", s.MeanInputTokens, s.MeanOutputTokens)
	}
	want := 9 * (100*0.4 + 10*1.6) / 1e6
	if !s.CostKnown || s.CostUSD < want*0.999 || s.CostUSD > want*1.001 {
		t.Errorf("cost = %v (known %v), want %v", s.CostUSD, s.CostKnown, want)
	}
	if !s.MeetsThreshold() || rep.OK() != true {
		t.Errorf("6/9 should meet threshold 0.5")
	}
	if s.Cases[0].Status != StatusFail || s.Cases[1].Status != StatusPass || s.Cases[0].Line == 0 {
		t.Errorf("cases not in order or unlabelled: %+v", s.Cases[:2])
	}
	if rep.Calls != 9 || rep.CacheHits != 0 {
		t.Errorf("calls/hits = %d/%d", rep.Calls, rep.CacheHits)
	}
}

func TestSecondRunMakesZeroModelCalls(t *testing.T) {
	t.Parallel()
	fake := newFakeChat(t, 0, nil)
	dir := t.TempDir()
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(25, "repeat: 2\n")})
	for run, wantRequests := range []int64{50, 50} {
		r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 8, 0, dir, llm.CacheReadWrite), Concurrency: 8}
		rep, err := r.Run(context.Background(), suites)
		if err != nil {
			t.Fatal(err)
		}
		if got := fake.Requests(); got != wantRequests {
			t.Fatalf("run %d: fake saw %d requests in total, want %d", run+1, got, wantRequests)
		}
		if run == 1 && (rep.Calls != 0 || rep.CacheHits != 50) {
			t.Fatalf("second run: %d network calls, %d cache hits; want 0 and 50", rep.Calls, rep.CacheHits)
		}
		if rep.Suites[0].Passed != 50 {
			t.Fatalf("run %d: passed %d, want 50", run+1, rep.Suites[0].Passed)
		}
	}
	// Offline mode answers the same run from the cache alone.
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 8, 0, dir, llm.CacheOffline), Concurrency: 8}
	if rep, err := r.Run(context.Background(), suites); err != nil || rep.Suites[0].Passed != 50 {
		t.Fatalf("offline run: %v", err)
	}
	if got := fake.Requests(); got != 50 {
		t.Fatalf("offline run called the model: %d requests", got)
	}
}

func TestFaultsAreErrorsNotFails(t *testing.T) {
	t.Parallel()
	// 10% 429, 5% 500, 2% truncated JSON, by request number. A 429 pauses
	// every call to the model for its hint, so the hint is short here.
	fake := newFakeChat(t, 0, func(n int64, req chatReq) (int, http.Header, string) {
		switch {
		case n%10 == 3:
			return 429, http.Header{"Retry-After-Ms": {"20"}}, `{"error":{"message":"slow down","type":"rate_limit"}}`
		case n%20 == 7:
			return 500, nil, `{"error":{"message":"boom"}}`
		case n%50 == 11:
			return 200, nil, completion(req.Model, lastUser(req.Messages), 1, 1)[:40]
		}
		return 200, nil, completion(req.Model, lastUser(req.Messages), 10, 2)
	})
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(200, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 10, 2, "", llm.CacheOff), Concurrency: 10}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Suites[0]
	if s.Passed+s.Failed+s.Errored != 200 {
		t.Fatalf("%d runs accounted for, want 200", s.Passed+s.Failed+s.Errored)
	}
	if s.Failed != 0 {
		t.Errorf("%d cases failed; transport faults must be errors or retried passes", s.Failed)
	}
	if s.Passed < 180 {
		t.Errorf("only %d passed; retries should recover most faults", s.Passed)
	}
	for _, c := range s.Cases {
		if c.Status == StatusError && c.Error == "" {
			t.Errorf("errored case %d without a message", c.Index)
		}
	}
}

func TestModelUnknownToEndpointIsConfigError(t *testing.T) {
	t.Parallel()
	fake := newFakeChat(t, 0, func(n int64, req chatReq) (int, http.Header, string) {
		return 404, nil, `{"error":{"message":"The model does not exist","type":"invalid_request_error","code":"model_not_found"}}`
	})
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(3, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 2, "", llm.CacheOff)}
	rep, err := r.Run(context.Background(), suites)
	if !diag.IsInput(err) {
		t.Fatalf("err = %v, want a config error", err)
	}
	if !strings.Contains(err.Error(), "prompts/echo.prompt:2: model \"gpt-4.1-mini\" is unknown") {
		t.Errorf("err = %q, want it to point at the model line", err)
	}
	if rep.Suites[0].Errored != 3 || fake.Requests() != 3 {
		t.Errorf("errored %d, requests %d; a 404 must not be retried", rep.Suites[0].Errored, fake.Requests())
	}
}

func TestUnknownModelCostIsUnknown(t *testing.T) {
	t.Parallel()
	fake := newFakeChat(t, 0, nil)
	set, suites := fixture(t, map[string]string{
		"prompts/echo.prompt": strings.Replace(echoPrompt, "gpt-4.1-mini", "my-private-model", 1),
		"evals/echo.yaml":     echoSuite(2, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 0, "", llm.CacheOff), Prices: cost.Builtin()}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Suites[0].CostKnown {
		t.Errorf("cost of an unpriced model reported as known: %v", rep.Suites[0].CostUSD)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "my-private-model") {
		t.Errorf("warnings = %q", rep.Warnings)
	}
}

func TestCheckReportsBadVarsAtSuiteLine(t *testing.T) {
	t.Parallel()
	set, _ := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(1, "")})
	_, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(1, "")})
	suites[0].Tests[0].Vars = map[string]any{"word": 42}
	err := Check(suites, set, "")
	var l diag.List
	if !errors.As(err, &l) || len(l) != 1 || l[0].File != "evals/echo.yaml" || l[0].Line == 0 {
		t.Fatalf("Check = %v, want one diag at evals/echo.yaml with a line", err)
	}
}

// TestConcurrentRunsCountApart runs two evaluations on one Runner at once: each
// report counts its own calls and cache hits.
func TestConcurrentRunsCountApart(t *testing.T) {
	t.Parallel()
	fake := newFakeChat(t, 5*time.Millisecond, nil)
	set, small := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(5, "")})
	_, large := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(30, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 4, 0, "", llm.CacheOff), Concurrency: 4}
	reps := make([]*Report, 2)
	errs := make(chan error, 2)
	for i, suites := range [][]*suite.Suite{small, large} {
		go func() {
			var err error
			reps[i], err = r.Run(context.Background(), suites)
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := []int{reps[0].Calls, reps[1].Calls}; got[0] != 5 || got[1] != 30 {
		t.Errorf("calls per run = %v, want [5 30]", got)
	}
}
