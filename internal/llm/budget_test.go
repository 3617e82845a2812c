package llm_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestBudgetBoundsAttemptsAcrossClients: two clients share a budget of 5
// calls; one endpoint fails the first attempt of every call with a 500, so
// retries draw from the budget too. Exactly 5 requests reach the endpoints,
// and every call past the budget ends as OverBudget without a request.
func TestBudgetBoundsAttemptsAcrossClients(t *testing.T) {
	t.Parallel()
	flaky := newFake(t, "", func(n int, body chatBody, w http.ResponseWriter, r *http.Request) {
		if n%2 == 1 {
			apiError(w, http.StatusInternalServerError, "try again")
			return
		}
		echo(n, body, w, r)
	})
	steady := newFake(t, "", echo)
	budget := llm.NewBudget(5)
	clients := []*llm.Client{
		newClient(t, llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: flaky.BaseURL(), MaxRetries: 3}}, Mode: llm.CacheOff, Budget: budget}),
		newClient(t, llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: steady.BaseURL(), Concurrency: 4}}, Mode: llm.CacheOff, Budget: budget}),
	}
	var mu sync.Mutex
	var ok, over int
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			_, err := clients[i%2].Complete(context.Background(), llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: "hi"}}})
			mu.Lock()
			defer mu.Unlock()
			var ce *llm.CallError
			switch {
			case err == nil:
				ok++
			case errors.As(err, &ce) && ce.Kind == llm.OverBudget:
				over++
			default:
				t.Errorf("call %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := flaky.Requests() + steady.Requests(); got != 5 {
		t.Errorf("%d requests reached the endpoints, want 5 (the budget)", got)
	}
	if budget.Used() != 5 || ok+over != 12 || over < 7 {
		t.Errorf("used %d, %d ok, %d over budget; want 5 used, at least 7 of 12 over budget", budget.Used(), ok, over)
	}
	if budget.Refused() < over {
		t.Errorf("refused %d < %d calls over budget", budget.Refused(), over)
	}
}

// TestNilBudgetIsUnlimited: a client without a budget is not bounded.
func TestNilBudgetIsUnlimited(t *testing.T) {
	t.Parallel()
	var b *llm.Budget
	for range 3 {
		if !b.Take() {
			t.Fatal("nil budget refused a call")
		}
	}
	if b.Limit() != 0 || b.Used() != 0 || b.Refused() != 0 {
		t.Errorf("nil budget reports %d/%d/%d", b.Limit(), b.Used(), b.Refused())
	}
}
