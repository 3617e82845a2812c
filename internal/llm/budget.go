package llm

import (
	"fmt"
	"sync/atomic"
)

// Budget bounds the model calls that every client sharing it makes together:
// `promptgate check` spends at most gate.max_calls (read at base) across base,
// head, candidates and any resampling. One HTTP attempt, a retry included,
// draws one call; a cache hit draws none. It is safe for concurrent use; a nil
// Budget is unlimited.
type Budget struct {
	limit   int64
	used    atomic.Int64
	refused atomic.Int64
}

// NewBudget returns a budget of limit calls; limit ≤ 0 means none may be made.
func NewBudget(limit int) *Budget {
	return &Budget{limit: int64(max(0, limit))}
}

// Take draws one call and reports whether the budget had it.
func (b *Budget) Take() bool {
	if b == nil {
		return true
	}
	for {
		n := b.used.Load()
		if n >= b.limit {
			b.refused.Add(1)
			return false
		}
		if b.used.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Limit is the budget's size, 0 for a nil Budget.
func (b *Budget) Limit() int {
	if b == nil {
		return 0
	}
	return int(b.limit)
}

// Used is the number of calls drawn so far.
func (b *Budget) Used() int {
	if b == nil {
		return 0
	}
	return int(b.used.Load())
}

// Refused is the number of calls the spent budget turned away.
func (b *Budget) Refused() int {
	if b == nil {
		return 0
	}
	return int(b.refused.Load())
}

// spent is the error of a call the budget refused.
func (b *Budget) spent() error {
	return fmt.Errorf("this check's budget of %d model calls (gate.max_calls, read at base) is spent", b.limit)
}
