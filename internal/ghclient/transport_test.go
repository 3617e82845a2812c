package ghclient

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/testkit"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// ghStep is one scripted GitHub answer.
type ghStep struct {
	status int
	header map[string]string
	body   string
}

func TestGitHubTransport(t *testing.T) {
	t.Parallel()
	reset := strconv.FormatInt(now.Add(30*time.Second).Unix(), 10)
	secondary := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`
	ok := ghStep{status: 201, body: `{"id":1}`}
	tests := []struct {
		name       string
		maxWait    time.Duration
		script     []ghStep
		requests   int
		wantStatus int
		wantWaits  []time.Duration
	}{
		{name: "secondary limit with Retry-After", script: []ghStep{{403, map[string]string{"Retry-After": "3"}, secondary}, ok},
			requests: 1, wantStatus: 201, wantWaits: []time.Duration{3 * time.Second}},
		{name: "secondary limit without a hint waits a minute", script: []ghStep{{403, nil, secondary}, ok},
			requests: 1, wantStatus: 201, wantWaits: []time.Duration{time.Minute}},
		{name: "429 waits out Retry-After", script: []ghStep{{429, map[string]string{"Retry-After": "2"}, `{}`}, ok},
			requests: 1, wantStatus: 201, wantWaits: []time.Duration{2 * time.Second}},
		{name: "primary limit waits until the reset",
			script:   []ghStep{{403, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}, `{"message":"API rate limit exceeded"}`}, ok},
			requests: 1, wantStatus: 201, wantWaits: []time.Duration{31 * time.Second}},
		{name: "an exhausted budget holds the next request back",
			script:   []ghStep{{200, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset}, `{}`}, ok},
			requests: 2, wantStatus: 201, wantWaits: []time.Duration{31 * time.Second}},
		{name: "a plain 403 is returned at once", script: []ghStep{{403, nil, `{"message":"Resource not accessible by integration"}`}},
			requests: 1, wantStatus: 403},
		{name: "a wait past MaxWait returns the refusal", maxWait: 10 * time.Second,
			script: []ghStep{{403, map[string]string{"Retry-After": "60"}, secondary}}, requests: 1, wantStatus: 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			n := 0
			srv := ghfake.NewRoutes(t, ghfake.RoutesOptions{}, map[string]http.HandlerFunc{
				"POST /repos/o/r/issues/1/comments": func(w http.ResponseWriter, r *http.Request) {
					mu.Lock()
					n++
					i := n
					mu.Unlock()
					if body, _ := io.ReadAll(r.Body); string(body) != `{"body":"hi"}` {
						t.Errorf("request %d: body %q", i, body)
					}
					if i > len(tt.script) {
						t.Errorf("request %d beyond the script", i)
						w.WriteHeader(http.StatusTeapot)
						return
					}
					st := tt.script[i-1]
					for k, v := range st.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(st.status)
					fmt.Fprint(w, st.body)
				},
			})
			c := testkit.NewClock(now)
			tr := &Transport{MaxWait: tt.maxWait, Now: c.Now, Sleep: c.Sleep}
			client := &http.Client{Transport: tr}
			var last *http.Response
			for range tt.requests {
				resp, err := client.Post(srv.URL+"/repos/o/r/issues/1/comments", "application/json", strings.NewReader(`{"body":"hi"}`))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 403 && !strings.Contains(string(b), "message") {
					t.Errorf("the 403's body was lost: %q", b)
				}
				last = resp
			}
			if last.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", last.StatusCode, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.wantWaits, c.Waits()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if n != len(tt.script) {
				t.Errorf("%d requests reached GitHub, want %d", n, len(tt.script))
			}
		})
	}
}
