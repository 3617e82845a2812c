package llm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// call makes the HTTP attempts for one completion, retrying transient
// failures. The provider's concurrency slot is held for an attempt only, never
// across the wait before a retry, so a throttled call does not starve others.
func (c *Client) call(ctx context.Context, e *endpoint, model string, req Request) (Response, error) {
	body, zeros := chatRequest(model, req)
	sent := 0
	for attempt := 1; ; attempt++ {
		st := &attemptState{zeros: zeros}
		out, err := c.attempt(ctx, e, body, st)
		if st.result.sent {
			sent++
		}
		if err == nil {
			out.Provider, out.Model, out.Retries = e.Name, model, attempt-1
			return out, nil
		}
		kind, status := classify(err, &st.result, ctx)
		callErr := &CallError{Kind: kind, Status: status, Attempts: sent, Provider: e.Name, Model: model,
			Err: describe(err, kind, ctx, e.APIKey)}
		if !kind.retryable() || attempt > e.MaxRetries {
			return Response{}, callErr
		}
		asked := parseRetryAfter(st.result.header, c.now())
		if asked > maxRetryAfter {
			callErr.Err = fmt.Errorf("%w (server asked to retry after %s, longer than the %s limit)",
				callErr.Err, asked.Round(time.Second), maxRetryAfter)
			return Response{}, callErr
		}
		wait := max(backoff(attempt-1), asked)
		c.log.Info("retrying model call", "provider", e.Name, "model", model, "attempt", attempt,
			"kind", kind.String(), "status", status, "wait", wait, "err", callErr.Err)
		if err := c.sleep(ctx, wait); err != nil {
			callErr.Kind, callErr.Err = Canceled, err
			return Response{}, callErr
		}
	}
}

// errNoChoices is a 2xx answer without a completion in it.
var errNoChoices = errors.New("response has no choices")

// attempt makes one HTTP request while holding a concurrency slot, bounded by
// the provider's timeout, and records its latency.
func (c *Client) attempt(ctx context.Context, e *endpoint, body openai.ChatCompletionRequest, st *attemptState) (Response, error) {
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
	if len(resp.Choices) == 0 {
		return Response{}, errNoChoices
	}
	return Response{
		Content:       resp.Choices[0].Message.Content,
		Usage:         Usage{InputTokens: resp.Usage.PromptTokens, OutputTokens: resp.Usage.CompletionTokens},
		Latency:       latency,
		FinishReason:  string(resp.Choices[0].FinishReason),
		ResponseModel: resp.Model,
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
		out.Messages[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
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
	if req.Params.JSONMode {
		out.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	}
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
