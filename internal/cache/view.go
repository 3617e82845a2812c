package cache

import (
	"fmt"

	"github.com/promptgate/promptgate/internal/llm"
)

// Reader is a source of recorded entries: a Store, or files laid out as in a
// cache directory (Files), such as a commit's tree.
type Reader interface {
	// Get returns the entry for key. A missing or damaged entry is a miss;
	// errors are for sources that cannot be read.
	Get(key string) (Entry, bool, error)
}

var (
	_ Reader            = (*Store)(nil)
	_ Reader            = Files(nil)
	_ llm.ResponseCache = (*View)(nil)
)

// Files reads entries laid out as in a cache directory from somewhere that is
// not one, such as a commit's tree. read returns the bytes stored at rel (a
// RelPath) and false when there are none.
type Files func(rel string) ([]byte, bool, error)

// Get reads and checks the entry for key. An entry whose contents do not hash
// to key is a miss, as in a Store.
func (f Files) Get(key string) (Entry, bool, error) {
	if !validKey(key) {
		return Entry{}, false, fmt.Errorf("read cache entry: invalid key %q", key)
	}
	b, ok, err := f(RelPath(key))
	if err != nil || !ok {
		return Entry{}, false, err
	}
	e, err := DecodeEntry(b, key)
	if err != nil {
		return Entry{}, false, nil
	}
	return e, true, nil
}

// View is a response cache assembled from trusted sources: lookups try each
// Reader in order, and new responses are recorded in Store. `promptgate check`
// builds one so that recorded answers come only from places a pull request
// cannot write: the base commit's tree and a directory outside the checkout.
type View struct {
	Readers []Reader
	// Store records new responses; nil discards them. It is read only if it is
	// also one of Readers.
	Store *Store
}

// Lookup answers a call from the first Reader that has it.
func (v *View) Lookup(provider, endpoint, model string, msgs []llm.Message, p llm.Params) (llm.Response, bool, error) {
	key := Key(provider, endpoint, model, msgs, p)
	for _, r := range v.Readers {
		e, ok, err := r.Get(key)
		if err != nil {
			return llm.Response{}, false, err
		}
		if ok {
			return e.response(), true, nil
		}
	}
	return llm.Response{}, false, nil
}

// Save records a response in Store.
func (v *View) Save(provider, endpoint, model string, msgs []llm.Message, p llm.Params, r llm.Response) error {
	return v.Store.Save(provider, endpoint, model, msgs, p, r)
}
