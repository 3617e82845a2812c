package rollout

import (
	"sync"
	"time"
)

// Users below QuietBelow get at most one answer per pull request per QuietWindow.
// Anyone may comment on a public repository, and every answer is a comment the
// App posts; without the limit a stranger could make the bot write as often as
// they like. The memory is per process, like the delivery de-duplication.
const (
	QuietBelow  = "triage"
	QuietWindow = time.Hour
	// quietMax bounds the pull requests remembered; past it, expired entries are
	// dropped, and if none has expired the App stays silent rather than grow.
	quietMax = 10000
)

// answerLimit remembers when the App last answered a low-permission user on each PR.
type answerLimit struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// allow reports whether a low-permission comment on pr may be answered now, and
// if so records the answer.
func (q *answerLimit) allow(pr string, now time.Time) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.last == nil {
		q.last = map[string]time.Time{}
	}
	if at, ok := q.last[pr]; ok && now.Sub(at) < QuietWindow {
		return false
	}
	if len(q.last) >= quietMax {
		for k, at := range q.last {
			if now.Sub(at) >= QuietWindow {
				delete(q.last, k)
			}
		}
		if len(q.last) >= quietMax {
			return false
		}
	}
	q.last[pr] = now
	return true
}
