package testkit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestClock: Sleep advances and records, Advance only advances, a cancelled
// context's error comes back from Sleep, ForgetWaits clears the record.
func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if err := c.Sleep(context.Background(), time.Second); err != nil {
		t.Fatal(err)
	}
	c.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Sleep(ctx, 2*time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("sleep on a cancelled context: %v, want context.Canceled", err)
	}
	if got, want := c.Now(), start.Add(time.Minute+3*time.Second); !got.Equal(want) {
		t.Errorf("now %s, want %s", got, want)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, c.Waits()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	c.ForgetWaits()
	if w := c.Waits(); len(w) != 0 {
		t.Errorf("waits after ForgetWaits: %v", w)
	}
}
