package eval

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

func TestEstimateInputTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msgs []llm.Message
		want int
	}{
		{"no messages", nil, 0},
		// 3 to prime the reply; 4 per message; ceil((len(role)+len(content))/4).
		{"one short message", []llm.Message{{Role: "user", Content: "hi"}}, 3 + 4 + 2},
		{"system and user", []llm.Message{{Role: "system", Content: strings.Repeat("a", 40)}, {Role: "user", Content: "word7"}}, 3 + 4 + 12 + 4 + 3},
		{"counts characters, not bytes", []llm.Message{{Role: "user", Content: "héllo wörld"}}, 3 + 4 + 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := EstimateInputTokens(tt.msgs); got != tt.want {
				t.Errorf("EstimateInputTokens = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestSkippedRunsCarryTokenEstimates runs offline against a cache that holds
// only some of the cases: the misses are skipped with an input-token estimate
// from their rendered messages, and the graded means ignore the estimates.
func TestSkippedRunsCarryTokenEstimates(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	sent := map[string][]llm.Message{} // word → messages the fake received
	fake := newFakeChat(t, 0, func(n int64, req chatReq) (int, http.Header, string) {
		mu.Lock()
		sent[lastUser(req.Messages)] = req.Messages
		mu.Unlock()
		return 200, nil, completion(req.Model, lastUser(req.Messages), 1000, 10)
	})
	dir := t.TempDir()
	set, all := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(4, "")})
	// Record cases 0 and 1 only.
	_, recorded := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(2, "")})
	r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 0, dir, llm.CacheReadWrite)}
	if _, err := r.Run(context.Background(), recorded); err != nil {
		t.Fatal(err)
	}
	// Learn what cases 2 and 3 render to from a run without the cache.
	r = &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 0, "", llm.CacheOff)}
	if _, err := r.Run(context.Background(), all); err != nil {
		t.Fatal(err)
	}

	r = &Runner{Prompts: set, Client: newClient(t, fake.URL, 2, 0, dir, llm.CacheOffline)}
	rep, err := r.Run(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Suites[0]
	type view struct {
		Status    Status
		In, EstIn int
	}
	var got []view
	for _, c := range s.Cases {
		got = append(got, view{c.Status, c.InputTokens, c.EstimatedInputTokens})
	}
	est2, est3 := EstimateInputTokens(sent["word2"]), EstimateInputTokens(sent["word3"])
	if est2 == 0 || est3 == 0 {
		t.Fatalf("the fake never saw cases 2 and 3: %v", sent)
	}
	want := []view{{StatusPass, 1000, 0}, {StatusPass, 1000, 0}, {StatusSkipped, 0, est2}, {StatusSkipped, 0, est3}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("case runs (-want +got):\n%s", diff)
	}
	if s.MeanInputTokens != 1000 {
		t.Errorf("MeanInputTokens = %v, want 1000 from the graded runs alone", s.MeanInputTokens)
	}
	if wantMean := float64(est2+est3) / 2; s.MeanEstimatedInputTokens != wantMean {
		t.Errorf("MeanEstimatedInputTokens = %v, want %v", s.MeanEstimatedInputTokens, wantMean)
	}
}

// TestNoAPIKeySkipsWithEstimates checks that a run without a key makes no call,
// is skipped (not an error) and still carries token estimates.
func TestNoAPIKeySkipsWithEstimates(t *testing.T) {
	t.Parallel()
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt, "evals/echo.yaml": echoSuite(3, "")})
	c, err := llm.New(llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: config.OpenAIBaseURL,
		APIKeyEnv: "OPENAI_API_KEY", Timeout: time.Second}}, Mode: llm.CacheOff})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runner{Prompts: set, Client: c}
	rep, err := r.Run(context.Background(), suites)
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Suites[0]
	if s.Skipped != 3 || s.Errored != 0 || s.Graded() != 0 || rep.Calls != 0 || c.Calls() != 0 {
		t.Fatalf("skipped %d, errored %d, graded %d, calls %d/%d; want 3 skipped and no call", s.Skipped, s.Errored, s.Graded(), rep.Calls, c.Calls())
	}
	for _, cr := range s.Cases {
		if cr.EstimatedInputTokens <= 3 || cr.InputTokens != 0 || !strings.Contains(cr.Error, "OPENAI_API_KEY") {
			t.Errorf("case %d: estimated %d, input %d, error %q", cr.Index, cr.EstimatedInputTokens, cr.InputTokens, cr.Error)
		}
	}
	if s.MeanInputTokens != 0 || s.MeanEstimatedInputTokens == 0 {
		t.Errorf("means: input %v, estimated %v", s.MeanInputTokens, s.MeanEstimatedInputTokens)
	}
}
