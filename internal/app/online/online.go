// Package online is serve's online evaluation: an OTLP/HTTP trace receiver
// (POST /v1/traces) that joins GenAI chat spans with the OpenFeature flag
// evaluation that chose their prompt, grades a sample of the answers with the
// repository's `online:` assertions in a bounded pool, and counts the results
// per flag variant for Prometheus (GET /metrics). Production content is only
// graded: it never reaches a log line, a metric label or GitHub.
package online

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/defaults"
)

// Defaults for Options.
const (
	DefaultWorkers   = 4
	DefaultQueue     = 1_000
	DefaultMaxBody   = 4 << 20
	DefaultConfigTTL = 5 * time.Minute
	// DefaultInflight bounds the exports decoded at once; more wait their turn.
	DefaultInflight = 4
)

// Options configure a Receiver. Zero values take the defaults.
type Options struct {
	// Tokens map bearer tokens to repositories; empty turns the receiver off.
	Tokens Tokens
	// Loader reads repositories' promptgate.yaml and flags files.
	Loader Loader
	// Judge builds llm-rubric judges; nil means llm-rubric assertions error.
	Judge JudgeFactory
	// Workers grade at once; Queue samples wait for them, beyond which
	// samples are dropped and counted.
	Workers, Queue int
	// MaxBody bounds an export's body, compressed and decompressed (413).
	MaxBody int64
	// JoinWindow is how long a trace's spans wait for each other.
	JoinWindow time.Duration
	// MaxTraces and MaxPending bound the traces and answer bytes waiting to join.
	MaxTraces, MaxPending int
	// ExportRate is how many exports a second each repository may send (twice
	// it at once) before POST /v1/traces answers 429 with Retry-After.
	ExportRate float64
	// ConfigTTL is how long a repository's config is used before it is read again.
	ConfigTTL time.Duration
	Logger    *slog.Logger
	Metrics   *Metrics
	Now       func() time.Time
}

// Receiver is the online evaluation service.
type Receiver struct {
	tokens   Tokens
	maxBody  int64
	log      *slog.Logger
	metrics  *Metrics
	join     *joiner
	configs  *configs
	throttle *throttle
	inflight chan struct{}
	queue    chan job
	window   time.Duration

	stop    chan struct{}
	workers sync.WaitGroup
	once    sync.Once
}

type job struct {
	s  Sample
	fe *flagEval
}

// New builds a Receiver and starts its grading workers and join sweeper;
// Close stops them.
func New(o Options) *Receiver {
	defaults.Positive(&o.Workers, DefaultWorkers)
	defaults.Positive(&o.Queue, DefaultQueue)
	defaults.Positive(&o.MaxTraces, DefaultMaxTraces)
	defaults.Positive(&o.MaxPending, DefaultMaxPending)
	defaults.Positive(&o.MaxBody, DefaultMaxBody)
	defaults.Positive(&o.JoinWindow, DefaultJoinWindow)
	defaults.Positive(&o.ConfigTTL, DefaultConfigTTL)
	defaults.Positive(&o.ExportRate, DefaultExportRate)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	r := &Receiver{tokens: o.Tokens, maxBody: o.MaxBody, log: o.Logger, metrics: o.Metrics,
		join:     newJoiner(o.JoinWindow, o.MaxTraces, o.MaxPending, o.Now),
		configs:  &configs{loader: o.Loader, judge: o.Judge, ttl: o.ConfigTTL, retryAfter: 30 * time.Second, now: o.Now, log: o.Logger, byRepo: map[string]*repoConfig{}, loading: map[string]chan struct{}{}},
		throttle: newThrottle(o.Tokens.Repos(), o.ExportRate, o.Now),
		inflight: make(chan struct{}, DefaultInflight), queue: make(chan job, o.Queue),
		window: o.JoinWindow, stop: make(chan struct{})}
	for range o.Workers {
		r.workers.Add(1)
		go r.grade()
	}
	r.workers.Add(1)
	go r.sweep()
	return r
}

// Close stops taking samples, lets the workers finish the queued ones (until
// ctx ends) and returns.
func (r *Receiver) Close(ctx context.Context) error {
	r.once.Do(func() { close(r.stop) })
	done := make(chan struct{})
	go func() { r.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Invalidate makes the next sample of repo ("owner/repo") read its config
// again; serve calls it on a push to the default branch.
func (r *Receiver) Invalidate(repo string) {
	for _, known := range r.tokens.Repos() {
		if strings.EqualFold(known, repo) {
			r.configs.invalidate(known)
		}
	}
}

// Metrics returns the receiver's metrics.
func (r *Receiver) Metrics() *Metrics { return r.metrics }

func (r *Receiver) sweep() {
	defer r.workers.Done()
	tick := time.NewTicker(max(r.window/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
			samples, unjoined := r.join.sweep()
			r.take(context.Background(), samples, unjoined)
		}
	}
}

// take counts joined samples, picks those to grade and queues them; a full
// queue drops the sample and counts it.
func (r *Receiver) take(ctx context.Context, samples []Sample, unjoined map[string]int) {
	for repo, n := range unjoined {
		r.metrics.ignored.WithLabelValues(repo, ignoredUnjoined).Add(float64(n))
	}
	for _, s := range samples {
		rc := r.configs.get(ctx, s.Repo)
		if rc == nil || (rc.err != nil && rc.flags == nil) {
			r.metrics.ignored.WithLabelValues(s.Repo, ignoredNoConfig).Inc()
			continue
		}
		fe := rc.flags[s.Flag]
		if fe == nil {
			r.metrics.ignored.WithLabelValues(s.Repo, ignoredUnknownFlag).Inc()
			continue
		}
		if !fe.variants[s.Variant] {
			r.metrics.ignored.WithLabelValues(s.Repo, ignoredUnknownVariant).Inc()
			continue
		}
		r.metrics.samples.WithLabelValues(s.Repo, s.Flag, s.Variant).Inc()
		if !sampled(s.TraceID, s.Flag, fe.rate) {
			continue
		}
		select {
		case r.queue <- job{s: s, fe: fe}:
		default:
			r.metrics.dropped.WithLabelValues(s.Repo, s.Flag, s.Variant).Inc()
		}
	}
}

// sampled decides, the same way on every replica, whether a trace's sample of
// flag is graded: a hash of both, against rate.
func sampled(traceID, flag string, rate float64) bool {
	if rate >= 1 {
		return true
	}
	if rate <= 0 {
		return false
	}
	h := xxhash.Sum64String(traceID + "\x00" + flag)
	return float64(h>>11)/float64(1<<53) < rate
}

// grade runs queued samples through their flag's assertions, one at a time,
// until Close; it finishes the queue first.
func (r *Receiver) grade() {
	defer r.workers.Done()
	for {
		select {
		case j := <-r.queue:
			r.gradeOne(j)
		case <-r.stop:
			for {
				select {
				case j := <-r.queue:
					r.gradeOne(j)
				default:
					return
				}
			}
		}
	}
}

// judgeTimeout bounds grading one sample.
const judgeTimeout = 2 * time.Minute

func (r *Receiver) gradeOne(j job) {
	ctx, cancel := context.WithTimeout(context.Background(), judgeTimeout)
	defer cancel()
	out := assert.Output{Text: j.s.output, Latency: j.s.latency, Prompt: j.s.input}
	// gen_ai.usage.* and the response model price the call, as the eval does.
	if p, ok := j.fe.prices.Lookup(j.s.model); ok && j.s.inTok+j.s.outTok > 0 {
		out.CostUSD, out.CostKnown = p.CallCost(int(j.s.inTok), int(j.s.outTok)), true
	}
	for _, la := range j.fe.asserts {
		result := "error"
		g, err := assert.Evaluate(ctx, []assert.Assertion{la.a}, nil, out, j.fe.env)
		switch {
		case err != nil:
			// The error may quote the judge's reply, which may quote the
			// answer: only the fact is logged.
			r.log.Warn("online assertion could not run; counted as error", "repo", j.s.Repo, "flag", j.s.Flag,
				"variant", j.s.Variant, "assertion", la.label)
		case g.Pass:
			result = "pass"
		default:
			result = "fail"
		}
		r.metrics.evals.WithLabelValues(j.s.Repo, j.s.Flag, j.s.Variant, la.label, result).Inc()
	}
}
