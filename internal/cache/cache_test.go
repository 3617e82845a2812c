package cache

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

func ptr[T any](v T) *T { return &v }

// ep is the endpoint the tests' calls go to.
const ep = "https://api.openai.com/v1"

var (
	msgs   = []llm.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Summarize: hello"}}
	params = llm.Params{Temperature: ptr(0.0), MaxTokens: 64}
)

func TestKey(t *testing.T) {
	t.Parallel()
	base := Key("default", ep, "gpt-4o-mini", msgs, params)
	// The key of a fixed call is pinned (it is the sha256 of
	// {"v":2,"provider":"default","endpoint":"https://api.openai.com/v1","model":"gpt-4o-mini","messages":[…],"params":{"temperature":0,"max_tokens":64}}): changing it silently would orphan
	// every committed cache, so a change must be deliberate (bump keyVersion).
	const pinned = "6aaa88288cdd12d0129da183cb026985b77a250b1873f2433a1d619d8b6d7411"
	if base != pinned {
		t.Errorf("Key of the pinned call = %s, want %s", base, pinned)
	}
	tests := []struct {
		name     string
		provider string
		endpoint string
		model    string
		msgs     []llm.Message
		params   llm.Params
		same     bool
	}{
		{name: "identical", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: params, same: true},
		{name: "stop nil vs empty", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{Temperature: ptr(0.0), MaxTokens: 64, Stop: []string{}}, same: true},
		{name: "provider", provider: "local", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: params},
		{name: "endpoint", provider: "default", endpoint: "http://127.0.0.1:11434/v1", model: "gpt-4o-mini", msgs: msgs, params: params},
		{name: "model", provider: "default", endpoint: ep, model: "gpt-4o", msgs: msgs, params: params},
		{name: "message content", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: []llm.Message{msgs[0], {Role: "user", Content: "Summarize: hello!"}}, params: params},
		{name: "message role", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: []llm.Message{{Role: "user", Content: "Be brief."}, msgs[1]}, params: params},
		{name: "temperature unset vs zero", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{MaxTokens: 64}},
		{name: "max tokens", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{Temperature: ptr(0.0), MaxTokens: 65}},
		{name: "json mode", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{Temperature: ptr(0.0), MaxTokens: 64, JSONMode: true}},
		{name: "seed", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{Temperature: ptr(0.0), MaxTokens: 64, Seed: ptr(1)}},
		{name: "sample", provider: "default", endpoint: ep, model: "gpt-4o-mini", msgs: msgs, params: llm.Params{Temperature: ptr(0.0), MaxTokens: 64, Sample: 1}},
		{name: "field boundary", provider: "default/gpt", endpoint: ep, model: "-4o-mini", msgs: msgs, params: params},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Key(tt.provider, tt.endpoint, tt.model, tt.msgs, tt.params)
			if (got == base) != tt.same {
				t.Errorf("Key equal to base = %t, want %t", got == base, tt.same)
			}
			if !validKey(got) {
				t.Errorf("Key %q is not 64 lowercase hex digits", got)
			}
		})
	}
	t.Run("nil and empty messages", func(t *testing.T) {
		t.Parallel()
		if Key("p", ep, "m", nil, llm.Params{}) != Key("p", ep, "m", []llm.Message{}, llm.Params{}) {
			t.Error("nil and empty message lists hash differently")
		}
	})
}

func TestPutGetRoundTrip(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Note = "FIXTURE: recorded for the demo, not from a real model"
	created := time.Date(2026, 3, 1, 12, 30, 45, 123456789, time.FixedZone("CET", 3600))
	in := Entry{
		Provider: "default", Endpoint: ep, Model: "gpt-4o-mini",
		Request:  Request{Messages: msgs, Params: params},
		Response: Response{Content: "Hello.", Usage: llm.Usage{InputTokens: 12, OutputTokens: 3}, LatencyMS: 420},
		Created:  created,
	}
	if err := s.Put(in); err != nil {
		t.Fatal(err)
	}
	key := Key("default", ep, "gpt-4o-mini", msgs, params)
	got, ok, err := s.Get(key)
	if err != nil || !ok {
		t.Fatalf("Get = ok %t, err %v; want a hit", ok, err)
	}
	want := in
	want.Key = key
	want.Created = time.Date(2026, 3, 1, 11, 30, 45, 0, time.UTC)
	want.Note = s.Note
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}

	path := filepath.Join(s.Dir(), key[:2], key+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	golden.Assert(t, "entry.json", b)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("entry mode = %v, want 0644 so it can be committed", fi.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(s.Dir(), "*", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestPutRejectsWrongKey(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := Entry{Key: Key("other", ep, "m", nil, llm.Params{}), Provider: "p", Endpoint: ep, Model: "m"}
	if err := s.Put(e); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("Put with a foreign key: err = %v, want a mismatch error", err)
	}
}

func TestGetMissAndDamage(t *testing.T) {
	t.Parallel()
	key := Key("default", ep, "gpt-4o-mini", msgs, params)
	valid := func() []byte {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(Entry{Provider: "default", Endpoint: ep, Model: "gpt-4o-mini", Request: Request{Messages: msgs, Params: params}, Created: time.Unix(0, 0)}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(s.path(key))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}()
	tests := []struct {
		name     string
		contents []byte // nil: no file at all
		warning  string
	}{
		{name: "missing"},
		{name: "empty file", contents: []byte{}, warning: "decode cache entry"},
		{name: "truncated", contents: valid[:len(valid)/2], warning: "decode cache entry"},
		{name: "not json", contents: []byte("<<<<<<< HEAD\n"), warning: "decode cache entry"},
		{name: "trailing data", contents: append(append([]byte{}, valid...), []byte("{}")...), warning: "trailing data"},
		{name: "key field differs", contents: bytes.Replace(valid, []byte(key), []byte(strings.Repeat("0", 64)), 1), warning: "does not match file name"},
		{name: "request edited", contents: bytes.Replace(valid, []byte("Summarize: hello"), []byte("Summarize: bye"), 1), warning: "edited by hand"},
		{name: "negative latency", contents: bytes.Replace(valid, []byte(`"latency_ms": 0`), []byte(`"latency_ms": -5`), 1), warning: "negative latency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			s, err := Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			if tt.contents != nil {
				if err := os.MkdirAll(filepath.Dir(s.path(key)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(s.path(key), tt.contents, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, ok, err := s.Get(key)
			if ok || err != nil {
				t.Errorf("Get = ok %t, err %v; want a plain miss", ok, err)
			}
			switch {
			case tt.warning == "" && logs.Len() != 0:
				t.Errorf("unexpected warning: %s", logs.String())
			case tt.warning != "" && !strings.Contains(logs.String(), tt.warning):
				t.Errorf("warning %q does not mention %q", logs.String(), tt.warning)
			}
		})
	}
}

func TestGetInvalidKey(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "ab", "../../etc/passwd", strings.Repeat("A", 64), strings.Repeat("g", 64)} {
		if _, _, err := s.Get(key); err == nil {
			t.Errorf("Get(%q): want an invalid-key error", key)
		}
	}
}

// TestTwoStoresConcurrently has two Stores on one directory, as two processes
// would, writing and reading the same and different keys at once. No reader
// may ever see a damaged entry.
func TestTwoStoresConcurrently(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		s.Logger = logger
		stores[i] = s
	}
	const keys, rounds = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*keys*rounds*2)
	for si, s := range stores {
		for k := range keys {
			wg.Go(func() {
				m := []llm.Message{{Role: "user", Content: fmt.Sprint("case ", k)}}
				for r := range rounds {
					// Both stores write the same keys with different
					// content, so renames race on the same path.
					content := strings.Repeat(fmt.Sprintf("store %d round %d ", si, r), 50)
					if err := s.Save("p", ep, "m", m, llm.Params{}, llm.Response{Content: content}); err != nil {
						errs <- err
					}
					got, ok, err := s.Lookup("p", ep, "m", m, llm.Params{})
					if err != nil || !ok {
						errs <- fmt.Errorf("lookup after save: ok %t, err %v", ok, err)
						continue
					}
					if !strings.HasPrefix(got.Content, "store ") || len(got.Content) < 50*len("store 0 round 0 ") {
						errs <- fmt.Errorf("torn content %q", got.Content)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if logs.String() != "" {
		t.Errorf("readers saw damaged entries:\n%s", logs.String())
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestLookupSave(t *testing.T) {
	t.Parallel()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Lookup("default", ep, "gpt-4o-mini", msgs, params); ok || err != nil {
		t.Fatalf("Lookup on an empty cache = ok %t, err %v", ok, err)
	}
	resp := llm.Response{Content: "Hi.", Usage: llm.Usage{InputTokens: 5, OutputTokens: 2}, Latency: 1234567 * time.Microsecond, Retries: 2}
	if err := s.Save("default", ep, "gpt-4o-mini", msgs, params, resp); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.Lookup("default", ep, "gpt-4o-mini", msgs, params)
	if err != nil || !ok {
		t.Fatalf("Lookup after Save = ok %t, err %v", ok, err)
	}
	want := llm.Response{Content: "Hi.", Usage: resp.Usage, Provider: "default", Model: "gpt-4o-mini", Latency: 1234 * time.Millisecond, CacheHit: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Lookup (-want +got):\n%s", diff)
	}
	if _, ok, _ := s.Lookup("default", ep, "gpt-4o", msgs, params); ok {
		t.Error("Lookup for another model hit")
	}

	var nilStore *Store
	if err := nilStore.Save("p", ep, "m", nil, llm.Params{}, resp); err != nil {
		t.Errorf("nil Store Save: %v", err)
	}
	if _, ok, err := nilStore.Lookup("p", ep, "m", nil, llm.Params{}); ok || err != nil {
		t.Errorf("nil Store Lookup = ok %t, err %v; want a miss", ok, err)
	}
}

func TestOpenDefaultsAndErrors(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(filepath.Join(file, "cache")); err == nil || !strings.Contains(err.Error(), "open response cache") {
		t.Errorf("Open under a file: err = %v, want a wrapped error", err)
	}
}
