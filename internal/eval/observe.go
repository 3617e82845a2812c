package eval

import (
	"context"
	"errors"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// Observer sees a run's suites and model calls as they happen, for exports
// such as OpenTelemetry traces. Implementations must be safe for concurrent
// use and must not block: they are called on the runner's workers.
type Observer interface {
	// SuiteStarted is called before the suite's first case run is handed out;
	// the context it returns parents the suite's calls and SuiteFinished.
	SuiteStarted(ctx context.Context, s *SuiteResult) context.Context
	// SuiteFinished is called once, when every case run of the suite is in (or
	// the run was interrupted), with the suite's figures filled in.
	SuiteFinished(ctx context.Context, s *SuiteResult)
	// CallFinished is called for every model call, llm-rubric judge calls
	// included, after the case it belongs to was graded.
	CallFinished(ctx context.Context, c Call)
}

// Call is one model call as an Observer sees it: the --trace record plus its
// timing, what the endpoint reported, and the case's verdict.
type Call struct {
	TraceRecord
	Start, End time.Time
	// SentModel is the model name sent to the provider (its prefix removed);
	// FinishReason and ResponseModel are what the endpoint reported.
	SentModel     string
	FinishReason  string
	ResponseModel string
	// Verdict is the case run's status after grading; empty for judge calls,
	// which grade rather than get graded.
	Verdict Status
	// ErrorType is the failure's kind (rate-limited, timeout, …) when the call
	// failed, as the error.type attribute wants it.
	ErrorType string
}

// observe reports a finished call to the Observer, if there is one.
func (r *Runner) observe(ctx context.Context, rec TraceRecord, resp llm.Response, err error, start time.Time, verdict Status) {
	if r.Observer == nil {
		return
	}
	c := Call{TraceRecord: rec, Start: start, End: time.Now(), SentModel: resp.Model,
		FinishReason: resp.FinishReason, ResponseModel: resp.ResponseModel, Verdict: verdict}
	if ce, ok := errors.AsType[*llm.CallError](err); ok {
		c.ErrorType = ce.Kind.String()
		c.SentModel = ce.Model
	} else if err != nil {
		c.ErrorType = "_OTHER"
	}
	r.Observer.CallFinished(ctx, c)
}

type sideKey struct{}

// WithSide labels the runs made under ctx with the side of a comparison they
// evaluate ("base", "head", or "candidate gpt-4o-mini"), so an Observer can
// tell them apart.
func WithSide(ctx context.Context, side string) context.Context {
	return context.WithValue(ctx, sideKey{}, side)
}

// Side is the label WithSide put on ctx, "" for a plain eval run.
func Side(ctx context.Context) string {
	s, _ := ctx.Value(sideKey{}).(string)
	return s
}
