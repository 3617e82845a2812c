package llm

import (
	"testing"
	"time"
)

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	for retry := range 40 {
		ceiling := backoffCap
		if retry < 16 {
			ceiling = min(backoffCap, backoffBase<<retry)
		}
		var top time.Duration
		for range 200 {
			d := backoff(retry)
			if d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, outside [0, %v]", retry, d, ceiling)
			}
			top = max(top, d)
		}
		// Full jitter spreads waits over the whole range, not just its bottom.
		if top < ceiling/2 {
			t.Errorf("backoff(%d): largest of 200 draws %v is under half of %v", retry, top, ceiling)
		}
	}
}
