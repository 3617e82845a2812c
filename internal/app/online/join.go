package online

import (
	"sync"
	"time"
)

// Sample is one production sample: the answer of a GenAI chat span joined
// with the flag evaluation that chose its prompt.
type Sample struct {
	Repo, Flag, Variant string
	// TraceID is the hex trace ID; sampling hashes it.
	TraceID string
	answer
}

// Join defaults: how long spans of one trace wait for each other, and the
// bounds on what waits.
const (
	DefaultJoinWindow = 10 * time.Second
	DefaultMaxTraces  = 50_000
	DefaultMaxPending = 64 << 20 // bytes of answers waiting for their flag
	maxSpansPerTrace  = 1_000
	maxDepth          = 256
)

// joiner pairs chat spans with flag evaluations of the same trace. A chat span
// takes, per flag, the evaluation on its nearest ancestor (itself included);
// an evaluation recorded as a span of its own (feature_flag.* attributes)
// counts for chat spans of its trace that have none, when the trace
// evaluated the flag to one variant only. Spans wait at most window for the
// rest of their trace, and at most maxTraces traces and maxBytes of answers
// wait at once: the oldest trace is settled early to make room.
type joiner struct {
	window    time.Duration
	maxTraces int
	maxBytes  int
	now       func() time.Time

	mu      sync.Mutex
	traces  map[string]*trace // by repo + " " + trace ID
	queue   []string          // trace keys, oldest first
	pending int               // bytes of answers held
}

type trace struct {
	repo, id string
	deadline time.Time
	parents  map[string]string // span ID → parent ID ("" for a root)
	evals    map[string][]Evaluation
	side     []Evaluation // from flag spans, which need not be ancestors
	chats    []*chat
	spans    int
}

type chat struct {
	span
	done map[string]bool // flags already emitted
}

func newJoiner(window time.Duration, maxTraces, maxBytes int, now func() time.Time) *joiner {
	return &joiner{window: window, maxTraces: maxTraces, maxBytes: maxBytes, now: now, traces: map[string]*trace{}}
}

// add takes one export's spans for repo and returns the samples they
// complete, and per repository how many chat spans were settled without a
// flag.
func (j *joiner) add(repo string, spans []span) ([]Sample, map[string]int) {
	var out []Sample
	j.mu.Lock()
	defer j.mu.Unlock()
	touched := map[*trace]bool{}
	for _, s := range spans {
		key := repo + " " + s.trace
		t := j.traces[key]
		if t == nil {
			t = &trace{repo: repo, id: s.trace, deadline: j.now().Add(j.window), parents: map[string]string{},
				evals: map[string][]Evaluation{}}
			j.traces[key] = t
			j.queue = append(j.queue, key)
		}
		if t.spans >= maxSpansPerTrace {
			continue
		}
		t.spans++
		t.parents[s.id] = s.parent
		if s.flagSpan {
			t.side = append(t.side, s.evals...)
		} else if len(s.evals) > 0 {
			t.evals[s.id] = append(t.evals[s.id], s.evals...)
		}
		if s.chat != nil {
			t.chats = append(t.chats, &chat{span: s, done: map[string]bool{}})
			j.pending += len(s.chat.output) + len(s.chat.input)
		}
		touched[t] = true
	}
	for t := range touched {
		out = append(out, j.resolve(t, false)...)
	}
	o, u := j.expire(j.now())
	return append(out, o...), u
}

// sweep settles the traces whose window has passed.
func (j *joiner) sweep() ([]Sample, map[string]int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.expire(j.now())
}

// expire settles traces past their deadline, and the oldest ones while over
// the bounds. Callers hold mu.
func (j *joiner) expire(now time.Time) (out []Sample, unjoined map[string]int) {
	for len(j.queue) > 0 {
		key := j.queue[0]
		t := j.traces[key]
		if !now.After(t.deadline) && len(j.traces) <= j.maxTraces && j.pending <= j.maxBytes {
			break
		}
		j.queue = j.queue[1:]
		delete(j.traces, key)
		out = append(out, j.resolve(t, true)...)
		for _, c := range t.chats {
			if len(c.done) == 0 {
				if unjoined == nil {
					unjoined = map[string]int{}
				}
				unjoined[t.repo]++
			}
			j.pending -= len(c.chat.output) + len(c.chat.input)
		}
		t.chats = nil
	}
	return out, unjoined
}

// resolve emits the samples t's chat spans can form now. final settles the
// trace: what is still missing will not come.
func (j *joiner) resolve(t *trace, final bool) []Sample {
	var out []Sample
	keep := t.chats[:0]
	for _, c := range t.chats {
		found, complete := j.ancestors(t, c.id)
		if complete || final {
			for flag, v := range sideEvals(t.side) {
				if _, ok := found[flag]; !ok {
					found[flag] = v
				}
			}
		}
		for flag, variant := range found {
			if !c.done[flag] {
				c.done[flag] = true
				out = append(out, Sample{Repo: t.repo, Flag: flag, Variant: variant, TraceID: t.id, answer: *c.chat})
			}
		}
		if complete && len(c.done) > 0 && !final {
			j.pending -= len(c.chat.output) + len(c.chat.input)
			continue
		}
		keep = append(keep, c)
	}
	t.chats = keep
	return out
}

// ancestors walks from span id to the root, taking each flag's nearest
// evaluation. complete is false when an ancestor has not arrived yet.
func (j *joiner) ancestors(t *trace, id string) (map[string]string, bool) {
	found := map[string]string{}
	cur := id
	for range maxDepth {
		for _, e := range t.evals[cur] {
			if _, ok := found[e.Flag]; !ok {
				found[e.Flag] = e.Variant
			}
		}
		p, known := t.parents[cur]
		if !known {
			return found, false
		}
		if p == "" {
			return found, true
		}
		cur = p
	}
	return found, true // a cycle or an absurd depth: stop here
}

// sideEvals returns the flags the trace's flag spans evaluated to one variant.
func sideEvals(evals []Evaluation) map[string]string {
	out := map[string]string{}
	conflict := map[string]bool{}
	for _, e := range evals {
		if v, ok := out[e.Flag]; ok && v != e.Variant {
			conflict[e.Flag] = true
		}
		out[e.Flag] = e.Variant
	}
	for f := range conflict {
		delete(out, f)
	}
	return out
}
