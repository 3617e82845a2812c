package webhook

import (
	"sync"
	"time"
)

// Dedupe remembers keys already handled: delivery IDs, so that a redelivery is
// not handled twice, and the App's comment IDs, so that a delivery replayed
// under a new ID is not either. It is bounded both in size (oldest first out)
// and in age. It lives in one process: several replicas each dedupe on their own.
type Dedupe struct {
	mu    sync.Mutex
	seen  map[string]time.Time
	order []entry // ring in insertion order, for eviction
	next  int
	ttl   time.Duration
	now   func() time.Time
}

type entry struct {
	id string
	at time.Time
}

// NewDedupe remembers up to size keys for ttl each, by the clock now.
func NewDedupe(size int, ttl time.Duration, now func() time.Time) *Dedupe {
	return &Dedupe{seen: make(map[string]time.Time, size), order: make([]entry, size), ttl: ttl, now: now}
}

// Reserve records id and reports whether it was new (or its record expired).
func (d *Dedupe) Reserve(id string) bool {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if at, ok := d.seen[id]; ok && now.Sub(at) < d.ttl {
		return false
	}
	// Evict the oldest slot, unless its ID was reserved again since.
	if old := d.order[d.next]; old.id != "" && d.seen[old.id].Equal(old.at) {
		delete(d.seen, old.id)
	}
	d.order[d.next] = entry{id, now}
	d.next = (d.next + 1) % len(d.order)
	d.seen[id] = now
	return true
}

// Release forgets id, so that work that failed can be done again.
func (d *Dedupe) Release(id string) {
	d.mu.Lock()
	delete(d.seen, id)
	d.mu.Unlock()
}
