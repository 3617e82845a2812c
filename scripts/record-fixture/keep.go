package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/cache"
)

// keptEntry is a committed entry as its file holds it.
type keptEntry struct {
	raw   []byte
	entry cache.Entry
}

// readEntries reads the committed entries in dir by key, so publish can
// keep those a re-recording answers the same way.
func readEntries(dir string) (map[string]keptEntry, error) {
	out := map[string]keptEntry{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return fs.SkipAll
		}
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" || !shardRe.MatchString(filepath.Base(filepath.Dir(path))) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		key := strings.TrimSuffix(d.Name(), ".json")
		e, err := cache.DecodeEntry(b, key)
		if err != nil {
			return fmt.Errorf("committed entry %s: %w", d.Name(), err)
		}
		out[key] = keptEntry{raw: b, entry: e}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read committed entries: %w", err)
	}
	return out, nil
}

// keepUnchanged puts back the committed file of e's call when it holds the
// same answer (content, tool calls, usage, latency, label and time), so a
// re-recording changes only what it answers differently: fields the client
// has learnt to record since (finish_reason, response_model) do not churn
// every committed entry.
func keepUnchanged(outDir string, e cache.Entry, kept map[string]keptEntry) error {
	key := cache.Key(e.Provider, e.Endpoint, e.Model, e.Request.Messages, e.Request.Params)
	old, ok := kept[key]
	if !ok {
		return nil
	}
	o, r := old.entry.Response, e.Response
	if o.Content != r.Content || o.Usage != r.Usage || o.LatencyMS != r.LatencyMS || !slices.Equal(o.ToolCalls, r.ToolCalls) ||
		old.entry.Note != e.Note || !old.entry.Created.Equal(e.Created) {
		return nil
	}
	if err := os.WriteFile(filepath.Join(outDir, filepath.FromSlash(cache.RelPath(key))), old.raw, 0o644); err != nil {
		return fmt.Errorf("keep committed entry %s: %w", key, err)
	}
	return nil
}
