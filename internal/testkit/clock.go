package testkit

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake clock for code that takes its time and its sleep as
// functions (Now, Sleep): a sleep advances the clock at once and is
// recorded, so pacing and backoff are tested exactly, without wall time. A
// test may also move it by hand with Advance. It is safe for concurrent use.
type Clock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Sleep advances the clock by d and records the wait; it returns ctx's
// error, as a sleep cut short by cancellation would.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	return ctx.Err()
}

// Advance moves the clock by d without recording a wait.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Waits returns every Sleep's duration so far, in order.
func (c *Clock) Waits() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// ForgetWaits clears the recorded waits, for a test that checks only those
// after a point.
func (c *Clock) ForgetWaits() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = nil
}
