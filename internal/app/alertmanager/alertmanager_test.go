package alertmanager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const token = "am-token-3e1f"

func recorded(t *testing.T, edit func(*Payload)) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/firing.json")
	if err != nil {
		t.Fatal(err)
	}
	if edit == nil {
		return raw
	}
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	edit(&p)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func alert(status, repo, flag, name, fp string) Alert {
	return Alert{Status: status, Fingerprint: fp, Labels: map[string]string{"alertname": name, LabelRepo: repo, LabelFlag: flag},
		Annotations: map[string]string{"summary": name + " summary"}}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		alerts  []Alert
		want    []Target
		skipped int
	}{
		{"one firing", []Alert{alert("firing", "o/r", "f", "A", "1")},
			[]Target{{Owner: "o", Repo: "r", Flag: "f", AlertName: "A", Summary: "A summary", Keys: []string{"1@0001-01-01T00:00:00Z"}}}, 0},
		{"grouped alerts on one flag roll it back once", []Alert{alert("firing", "o/r", "f", "A", "1"), alert("firing", "o/r", "f", "B", "2")},
			[]Target{{Owner: "o", Repo: "r", Flag: "f", AlertName: "A", Summary: "A summary", Keys: []string{"1@0001-01-01T00:00:00Z", "2@0001-01-01T00:00:00Z"}}}, 0},
		{"two flags", []Alert{alert("firing", "o/r", "g", "B", "2"), alert("firing", "o/r", "f", "A", "1")},
			[]Target{{Owner: "o", Repo: "r", Flag: "f", AlertName: "A", Summary: "A summary", Keys: []string{"1@0001-01-01T00:00:00Z"}},
				{Owner: "o", Repo: "r", Flag: "g", AlertName: "B", Summary: "B summary", Keys: []string{"2@0001-01-01T00:00:00Z"}}}, 0},
		{"resolved does nothing", []Alert{alert("resolved", "o/r", "f", "A", "1")}, []Target{}, 0},
		{"no flag label", []Alert{alert("firing", "o/r", "", "A", "1")}, []Target{}, 0},
		{"bad repo label", []Alert{alert("firing", "o/r/x", "f", "A", "1")}, []Target{}, 1},
		{"no repo label", []Alert{alert("firing", "", "f", "A", "1")}, []Target{}, 1},
		{"bad flag label", []Alert{alert("firing", "o/r", "f g", "A", "1")}, []Target{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, skipped := Payload{Version: "4", Alerts: tt.alerts}.Targets()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("targets (-want +got):\n%s", diff)
			}
			if len(skipped) != tt.skipped {
				t.Errorf("skipped = %+v, want %d", skipped, tt.skipped)
			}
		})
	}
}

// fakeRollbacker records calls and fails the first fail calls.
type fakeRollbacker struct {
	mu    sync.Mutex
	calls []Target
	fail  int
}

func (f *fakeRollbacker) Rollback(_ context.Context, t Target, _ *slog.Logger) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, t)
	if f.fail > 0 {
		f.fail--
		return errors.New("GitHub is down")
	}
	return nil
}

func (f *fakeRollbacker) count() int { f.mu.Lock(); defer f.mu.Unlock(); return len(f.calls) }

func post(t *testing.T, url, auth string, body []byte) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHandler(t *testing.T) {
	t.Parallel()
	type step struct {
		auth   string
		body   func(t *testing.T) []byte
		status int
		calls  int // total rollbacks after the step
	}
	firing := func(t *testing.T) []byte { return recorded(t, nil) }
	bearer := "Bearer " + token
	tests := []struct {
		name  string
		fail  int
		steps []step
	}{
		{"firing rolls back once; repeats do nothing", 0, []step{
			{bearer, firing, 200, 1}, {bearer, firing, 200, 1}, {"bearer " + token, firing, 200, 1}}},
		{"resolved does nothing", 0, []step{{bearer, func(t *testing.T) []byte {
			return recorded(t, func(p *Payload) { p.Status, p.Alerts[0].Status = "resolved", "resolved" })
		}, 200, 0}}},
		{"a new firing of the same alert rolls back again", 0, []step{{bearer, firing, 200, 1}, {bearer, func(t *testing.T) []byte {
			return recorded(t, func(p *Payload) { p.Alerts[0].StartsAt = p.Alerts[0].StartsAt.Add(3600e9) })
		}, 200, 2}}},
		{"missing token", 0, []step{{"", firing, 401, 0}}},
		{"wrong token", 0, []step{{"Bearer nope", firing, 401, 0}}},
		{"token prefix", 0, []step{{"Bearer " + token[:5], firing, 401, 0}}},
		{"basic auth", 0, []step{{"Basic " + token, firing, 401, 0}}},
		{"not JSON", 0, []step{{bearer, func(*testing.T) []byte { return []byte("{") }, 400, 0}}},
		{"version 3", 0, []step{{bearer, func(t *testing.T) []byte {
			return recorded(t, func(p *Payload) { p.Version = "3" })
		}, 400, 0}}},
		{"failure answers 500 and the retry runs again", 1, []step{{bearer, firing, 500, 1}, {bearer, firing, 200, 2}, {bearer, firing, 200, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rb := &fakeRollbacker{fail: tt.fail}
			srv := httptest.NewServer(NewHandler([]byte(token), rb, nil))
			defer srv.Close()
			for i, s := range tt.steps {
				if got := post(t, srv.URL+"/alertmanager", s.auth, s.body(t)); got != s.status {
					t.Errorf("step %d: status %d, want %d", i, got, s.status)
				}
				if got := rb.count(); got != s.calls {
					t.Errorf("step %d: rollbacks %d, want %d", i, got, s.calls)
				}
			}
			for _, c := range rb.calls {
				if c.Owner != "Codertocat" || c.Repo != "Hello-World" || c.Flag != "summarize" || c.AlertName != "CanaryErrorRate" || !strings.Contains(c.Summary, "4.0%") {
					t.Errorf("rollback target %+v", c)
				}
			}
		})
	}
}

func TestHandlerMethod(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(NewHandler([]byte(token), &fakeRollbacker{}, nil))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/alertmanager")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d, want 405", resp.StatusCode)
	}
}

func FuzzParse(f *testing.F) {
	raw, err := os.ReadFile("testdata/firing.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add([]byte(`{"version":"4","alerts":[{"status":"firing","labels":{"promptgate_flag":"f","promptgate_repo":"a/b"}}]}`))
	f.Add([]byte(`{"version":"4","alerts":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		targets, _ := p.Targets()
		seen := map[string]bool{}
		for _, tg := range targets {
			if !repoName.MatchString(tg.Owner+"/"+tg.Repo) || !flagName.MatchString(tg.Flag) || len(tg.Keys) == 0 {
				t.Fatalf("bad target %+v", tg)
			}
			k := strings.ToLower(tg.Owner+"/"+tg.Repo) + " " + tg.Flag
			if seen[k] {
				t.Fatalf("flag %s twice", k)
			}
			seen[k] = true
		}
	})
}
