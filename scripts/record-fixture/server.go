package main

import (
	"net/http/httptest"
	"sort"
	"sync"
	"time"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// dummyKey is the API key the recording run uses; the fake server insists on
// it, so the client's Authorization header is exercised too.
const dummyKey = "fixture-dummy-key"

// recorder answers chat completions from the table, through the test kit's
// chat-completions fake (which checks the route, the key and the body).
type recorder struct {
	table *table
	fake  *llmfake.Server

	mu     sync.Mutex
	served map[string]int // case → requests answered
	// latencies maps a request fingerprint to the latency it was served with,
	// so recorded entries can carry exactly that value.
	latencies map[string]int64
}

// newRecorder starts the fake on 127.0.0.1.
func newRecorder(t *table) (*recorder, *httptest.Server) {
	f := &recorder{table: t, served: map[string]int{}, latencies: map[string]int64{}}
	f.fake = llmfake.New(llmfake.Options{APIKey: dummyKey, Respond: f.respond})
	return f, httptest.NewServer(f.fake)
}

// respond answers one request with its case's hand-written reply after the
// case's latency; a request no case matches is refused, which means
// answers.yaml and the suites disagree.
func (f *recorder) respond(req llmfake.Request) llmfake.Reply {
	msgs := req.Conversation()
	rendered, loop := splitLoop(msgs)
	if rep, ok := f.table.byRequest[requestKey(req.Model, rendered)]; ok && rep.turns != nil {
		i, err := turnOf(rep.turns, loop)
		if err != nil {
			return llmfake.Reply{Refuse: "record-fixture: " + rep.what + ": " + err.Error()}
		}
		answer, ms := scripted(req, msgs, rep.turns[i])
		f.serve(turnLabel(rep.what, i), requestKey(req.Model, msgs), ms)
		return answer
	}
	rep, ok := f.table.match(req.Model, msgs)
	if !ok {
		return llmfake.Reply{Refuse: "record-fixture: no fixture answer matches this " + req.Model +
			" request; last message starts " + quoteStart(msgs[len(msgs)-1].Content)}
	}
	f.serve(rep.what, requestKey(req.Model, msgs), rep.latencyMS)
	return rep.answer
}

// serve counts an answer and waits its latency, which the recorded entry
// then carries.
func (f *recorder) serve(what, key string, latencyMS int64) {
	f.mu.Lock()
	f.served[what]++
	f.latencies[key] = latencyMS
	f.mu.Unlock()
	time.Sleep(time.Duration(latencyMS) * time.Millisecond)
}

// problems lists requests the fake refused and answers never asked for.
func (f *recorder) problems() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.fake.Problems()
	for _, r := range f.table.byRequest {
		if r.turns == nil && f.served[r.what] == 0 {
			out = append(out, r.what+": answer was never requested")
		}
		for i := range r.turns {
			if l := turnLabel(r.what, i); f.served[l] == 0 {
				out = append(out, l+": answer was never requested")
			}
		}
	}
	for _, j := range f.table.judges {
		if f.served[j.what] == 0 {
			out = append(out, j.what+": judge reply was never requested")
		}
	}
	sort.Strings(out)
	return out
}

// requests is how many requests were answered.
func (f *recorder) requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.served {
		n += c
	}
	return n
}
