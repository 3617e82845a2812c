package webhook

import (
	"sync"
	"time"
)

// dedupe remembers delivery IDs already queued, so a redelivery of the same
// delivery is not handled twice. It is bounded both in size (oldest first out)
// and in age. It lives in one process: several replicas each dedupe on their own.
type dedupe struct {
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

func newDedupe(size int, ttl time.Duration, now func() time.Time) *dedupe {
	return &dedupe{seen: make(map[string]time.Time, size), order: make([]entry, size), ttl: ttl, now: now}
}

// reserve records id and reports whether it was new (or its record expired).
func (d *dedupe) reserve(id string) bool {
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

// release forgets id, so that a delivery refused with 503 can be redelivered.
func (d *dedupe) release(id string) {
	d.mu.Lock()
	delete(d.seen, id)
	d.mu.Unlock()
}
