// Package cache is promptgate's content-addressed response cache: one
// pretty-printed JSON file per model call, named by the hash of what was sent,
// so a second run with nothing changed makes no model calls and a recorded
// cache can be committed, diffed in review, and replayed with --offline.
package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// DefaultDir is where the CLI keeps the cache unless told otherwise.
const DefaultDir = ".promptgate/cache"

// Entry is one recorded model call as stored on disk.
type Entry struct {
	Key      string `json:"key"`
	Provider string `json:"provider"`
	// Endpoint is the provider's base URL without credentials, as
	// config.Provider.Endpoint gives it.
	Endpoint string   `json:"endpoint"`
	Model    string   `json:"model"`
	Request  Request  `json:"request"`
	Response Response `json:"response"`
	// Created is when the response was recorded, stored as RFC 3339 in UTC.
	Created time.Time `json:"created"`
	// Note labels an entry for readers of a committed cache, for example
	// "FIXTURE: recorded for the demo, not from a real model".
	Note string `json:"note,omitempty"`
}

// Request is what was sent: the rendered messages and the generation parameters.
type Request struct {
	Messages []llm.Message `json:"messages"`
	Params   llm.Params    `json:"params"`
}

// Response is what came back, enough to replay the call.
type Response struct {
	Content   string    `json:"content"`
	Usage     llm.Usage `json:"usage"`
	LatencyMS int64     `json:"latency_ms"`
	// FinishReason and ResponseModel are what the endpoint reported; absent in
	// entries recorded before they were kept.
	FinishReason  string `json:"finish_reason,omitempty"`
	ResponseModel string `json:"response_model,omitempty"`
	// ToolCalls are the tool calls the model asked for, when it made any.
	ToolCalls []llm.ToolCall `json:"tool_calls,omitempty"`
}

// Store is a cache directory. Several Stores, in one process or several, may
// share a directory: every write is a rename of a complete file, so readers
// see the old entry or the new one, never half of one.
type Store struct {
	dir string
	// Note is written into every entry this Store records. Set it before the
	// Store is first used.
	Note string
	// Logger receives warnings about damaged entries; nil means slog.Default().
	// Set it before the Store is first used.
	Logger *slog.Logger
}

var _ llm.ResponseCache = (*Store)(nil)

// Open returns the Store rooted at dir, creating the directory if needed.
func Open(dir string) (*Store, error) {
	if dir == "" {
		dir = DefaultDir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open response cache: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Dir is the directory the Store reads and writes.
func (s *Store) Dir() string { return s.dir }

func (s *Store) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// path shards entries by the key's first byte so no directory grows huge.
func (s *Store) path(key string) string {
	return filepath.Join(s.dir, filepath.FromSlash(RelPath(key)))
}

// RelPath is where the entry for key lives below a cache directory, with
// forward slashes ("7a/7a5a….json"), as git names it in a tree.
func RelPath(key string) string { return key[:2] + "/" + key + ".json" }

// KeyOfPath returns the key of the entry stored at rel, a path below a cache
// directory, and false when rel is not where an entry lives.
func KeyOfPath(rel string) (string, bool) {
	dir, file, ok := strings.Cut(filepath.ToSlash(rel), "/")
	key, isJSON := strings.CutSuffix(file, ".json")
	if !ok || !isJSON || !validKey(key) || dir != key[:2] {
		return "", false
	}
	return key, true
}

// Get returns the entry recorded under key. A missing entry is (Entry{}, false,
// nil). A damaged entry — bad JSON, or contents that do not hash to key — is
// also a miss, with a warning logged, so a bad file never stops a run. The
// error is for keys that are not Key results and for unreadable files.
func (s *Store) Get(key string) (Entry, bool, error) {
	if !validKey(key) {
		return Entry{}, false, fmt.Errorf("read cache entry: invalid key %q", key)
	}
	p := s.path(key)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("read cache entry: %w", err)
	}
	e, err := DecodeEntry(b, key)
	if err != nil {
		s.logger().Warn("ignoring damaged cache entry", "path", p, "err", err)
		return Entry{}, false, nil
	}
	return e, true, nil
}

// DecodeEntry parses a stored entry and checks that it is the entry for key:
// its key field and the hash of its provider, model and request must both
// match, so a hand-edited request is never answered with a stale response.
func DecodeEntry(b []byte, key string) (Entry, error) {
	var e Entry
	// Unknown fields are tolerated so an older binary can read a newer cache;
	// the key check below is what guards the contents.
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&e); err != nil {
		return Entry{}, fmt.Errorf("decode cache entry: %w", err)
	}
	if dec.More() {
		return Entry{}, errors.New("decode cache entry: trailing data after the entry")
	}
	if e.Key != key {
		return Entry{}, fmt.Errorf("decode cache entry: key field %q does not match file name %q", e.Key, key)
	}
	if got := Key(e.Provider, e.Endpoint, e.Model, e.Request.Messages, e.Request.Params); got != key {
		return Entry{}, fmt.Errorf("decode cache entry: request hashes to %s, not %s (edited by hand?)", got, key)
	}
	if e.Response.LatencyMS < 0 {
		return Entry{}, fmt.Errorf("decode cache entry: negative latency_ms %d", e.Response.LatencyMS)
	}
	return e, nil
}

// Put records e. It fills Key from the request when empty (and rejects a Key
// that does not match the request), Created with the current time when zero,
// and Note with the Store's Note when empty.
func (s *Store) Put(e Entry) error {
	want := Key(e.Provider, e.Endpoint, e.Model, e.Request.Messages, e.Request.Params)
	switch e.Key {
	case "":
		e.Key = want
	case want:
	default:
		return fmt.Errorf("write cache entry: key %q does not match its request (%s)", e.Key, want)
	}
	if e.Request.Messages == nil {
		e.Request.Messages = []llm.Message{}
	}
	if e.Created.IsZero() {
		e.Created = time.Now()
	}
	e.Created = e.Created.UTC().Truncate(time.Second)
	if e.Note == "" {
		e.Note = s.Note
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("write cache entry: %w", err)
	}
	b = append(b, '\n')
	if err := writeAtomic(s.path(e.Key), b); err != nil {
		return fmt.Errorf("write cache entry: %w", err)
	}
	return nil
}

// writeAtomic writes b to a temporary file beside path and renames it into
// place, so concurrent readers and writers never see a partial file. It does
// not fsync: an entry torn by a crash reads as damaged, which is a miss.
func writeAtomic(path string, b []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once the rename has happened
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; entries are meant to be committed.
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Lookup answers a model call from the cache. A nil *Store is an empty cache.
func (s *Store) Lookup(provider, endpoint, model string, msgs []llm.Message, p llm.Params) (llm.Response, bool, error) {
	if s == nil {
		return llm.Response{}, false, nil
	}
	e, ok, err := s.Get(Key(provider, endpoint, model, msgs, p))
	if err != nil || !ok {
		return llm.Response{}, false, err
	}
	return e.response(), true, nil
}

// response is the recorded answer as the model client returns it.
func (e Entry) response() llm.Response {
	return llm.Response{
		Content:       e.Response.Content,
		Usage:         e.Response.Usage,
		Provider:      e.Provider,
		Model:         e.Model,
		Latency:       time.Duration(e.Response.LatencyMS) * time.Millisecond,
		CacheHit:      true,
		FinishReason:  e.Response.FinishReason,
		ResponseModel: e.Response.ResponseModel,
		ToolCalls:     e.Response.ToolCalls,
	}
}

// Save records a successful model call. A nil *Store discards it.
func (s *Store) Save(provider, endpoint, model string, msgs []llm.Message, p llm.Params, r llm.Response) error {
	if s == nil {
		return nil
	}
	return s.Put(Entry{
		Provider: provider,
		Endpoint: endpoint,
		Model:    model,
		Request:  Request{Messages: msgs, Params: p},
		Response: Response{Content: r.Content, Usage: r.Usage, LatencyMS: r.Latency.Milliseconds(),
			FinishReason: r.FinishReason, ResponseModel: r.ResponseModel, ToolCalls: r.ToolCalls},
	})
}
