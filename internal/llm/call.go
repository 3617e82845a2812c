package llm

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/promptgate/promptgate/internal/ratelimit"
)

// call makes the HTTP attempts for one completion. A 429 is waited out (the
// server's Retry-After, else a backoff) and does not count against
// MaxRetries; the call gives up on 429s only once it has waited
// RateLimitWait in total. Other transient failures are retried up to
// MaxRetries times. No concurrency slot is held across a wait, so a
// throttled call does not starve others.
func (c *Client) call(ctx context.Context, e *endpoint, model string, req Request) (Response, error) {
	body, zeros := chatRequest(model, req)
	// What a server may count against a tokens-per-minute limit: the prompt
	// and the most it may generate.
	est := EstimateInputTokens(req.Messages) + req.Params.MaxTokens
	lim := e.limiter(model)
	sent, failures, throttled := 0, 0, 0
	var waited, throttledFor time.Duration
	for {
		if !c.budget.Take() {
			return Response{}, &CallError{Kind: OverBudget, Attempts: sent, Provider: e.Name, Model: model,
				Throttled: throttled, Err: c.budget.spent()}
		}
		st := &attemptState{zeros: zeros}
		out, err := c.attempt(ctx, e, lim, body, st, est)
		waited += st.waited
		if st.result.sent {
			sent++
		}
		if err == nil {
			out.Provider, out.Model, out.Retries = e.Name, model, sent-1
			out.Throttled, out.Waited = throttled, waited
			return out, nil
		}
		kind, status := classify(err, &st.result, ctx)
		if missingChatPath(err, status) && ctx.Err() == nil {
			return Response{}, &CallError{Kind: EndpointDown, Status: status, Attempts: sent, Provider: e.Name, Model: model,
				Err: e.markMissingPath(status)}
		}
		callErr := &CallError{Kind: kind, Status: status, Attempts: sent, Provider: e.Name, Model: model,
			Throttled: throttled, Err: describe(err, kind, ctx, e.APIKey)}
		if !kind.retryable() {
			return Response{}, callErr
		}
		asked := ratelimit.RetryAfter(st.result.header, c.now())
		if asked > maxRetryAfter {
			callErr.Err = fmt.Errorf("%w (server asked to retry after %s, longer than the %s limit)",
				callErr.Err, asked.Round(time.Second), maxRetryAfter)
			return Response{}, callErr
		}
		var wait time.Duration
		if status == http.StatusTooManyRequests {
			if quotaExhausted(err) {
				// OpenAI's "insufficient_quota" is a billing stop, not a rate.
				return Response{}, callErr
			}
			throttled++
			callErr.Throttled = throttled
			step := asked
			switch {
			case step == 0:
				// No hint: back off, and let the wait be this call's own.
				step = backoff(throttled - 1)
				wait = step
			case !st.pausedAll:
				// A sporadic 429: the limit is not spent, so only this
				// call waits; the others go on in the cut window.
				wait = step
			} // else the limiter holds every call to this model for asked.
			if throttledFor+step > e.RateLimitWait {
				callErr.Err = fmt.Errorf("%w (refused with HTTP 429 %d times over %s of waiting; a call waits out "+
					"rate limiting for at most %s, set by providers.%s.rate_limit_wait)",
					callErr.Err, throttled, throttledFor.Round(time.Millisecond), e.RateLimitWait, e.Name)
				return Response{}, callErr
			}
			throttledFor += step
		} else {
			failures++
			if failures > e.MaxRetries {
				return Response{}, callErr
			}
			wait = max(backoff(failures-1), asked)
		}
		c.log.Debug("retrying model call", "provider", e.Name, "model", model, "attempt", sent,
			"kind", kind.String(), "status", status, "wait", wait, "retry_after", asked, "err", callErr.Err)
		if wait == 0 && status == http.StatusTooManyRequests {
			continue // the limiter's pause is the wait
		}
		if err := c.sleep(ctx, wait); err != nil {
			callErr.Kind, callErr.Err = Canceled, err
			return Response{}, callErr
		}
		waited += wait
	}
}

// quotaExhausted reports an OpenAI 429 that no wait will cure.
func quotaExhausted(err error) bool {
	apiErr, ok := errors.AsType[*openai.APIError](err)
	return ok && apiErr.Code == "insufficient_quota"
}

// errNoChoices is a 2xx answer without a completion in it.
var errNoChoices = errors.New("response has no choices")

// attempt makes one HTTP request once the model's limiter admits it and a
// provider concurrency slot is free, bounded by the provider's timeout, and
// records its latency. It reports the attempt's status, headers and usage
// back to the limiter.
func (c *Client) attempt(ctx context.Context, e *endpoint, lim *ratelimit.Limiter, body openai.ChatCompletionRequest, st *attemptState, est int) (Response, error) {
	ticket, err := lim.Acquire(ctx, est)
	if err != nil {
		return Response{}, err
	}
	st.waited = ticket.Waited
	var usage int
	defer func() {
		st.pausedAll = lim.Done(ticket, ratelimit.Outcome{Status: st.result.status, Header: st.result.header, Tokens: usage})
	}()
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return Response{}, ctx.Err()
	}
	defer func() { <-e.slots }()
	actx, cancel := context.WithTimeout(withAttempt(ctx, st), e.Timeout)
	defer cancel()
	start := time.Now()
	resp, err := e.api.CreateChatCompletion(actx, body)
	latency := time.Since(start)
	if err != nil {
		if errors.Is(actx.Err(), context.DeadlineExceeded) && ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			// A deadline that hits while the body is read surfaces as an
			// unexpected EOF or a read error; name it for what it is.
			err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return Response{}, err
	}
	usage = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	if len(resp.Choices) == 0 {
		return Response{}, errNoChoices
	}
	return Response{
		Content:       resp.Choices[0].Message.Content,
		Usage:         Usage{InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens},
		Latency:       latency,
		FinishReason:  string(resp.Choices[0].FinishReason),
		ResponseModel: resp.Model,
		ToolCalls:     responseToolCalls(resp.Choices[0].Message.ToolCalls),
	}, nil
}

// chatRequest maps a Request to go-openai's request for the given model. It
// also returns the body fields that must be forced to an explicit 0, which
// go-openai would otherwise omit.
func chatRequest(model string, req Request) (openai.ChatCompletionRequest, []string) {
	out := openai.ChatCompletionRequest{
		Model:    model,
		Messages: make([]openai.ChatCompletionMessage, len(req.Messages)),
		Stop:     req.Params.Stop,
		Seed:     req.Params.Seed,
	}
	for i, m := range req.Messages {
		out.Messages[i] = chatMessage(m)
	}
	var zeros []string
	if t := req.Params.Temperature; t != nil {
		if *t == 0 {
			zeros = append(zeros, "temperature")
		}
		out.Temperature = float32(*t)
	}
	if p := req.Params.TopP; p != nil {
		if *p == 0 {
			zeros = append(zeros, "top_p")
		}
		out.TopP = float32(*p)
	}
	if isReasoningModel(model) {
		// OpenAI's reasoning models reject max_tokens, and go-openai refuses
		// to send it to them.
		out.MaxCompletionTokens = req.Params.MaxTokens
	} else {
		out.MaxTokens = req.Params.MaxTokens
	}
	out.ResponseFormat = responseFormat(req.Params)
	out.Tools = chatTools(req.Params.Tools)
	out.ToolChoice = toolChoice(req.Params.ToolChoice)
	return out, zeros
}

// isReasoningModel matches the model names go-openai validates as OpenAI
// reasoning models.
func isReasoningModel(model string) bool {
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(model, p) {
			return true
		}
	}
	return false
}
