package telemetry

import (
	"context"
	"encoding/json"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
)

// Attribute keys that the semantic conventions name but this semconv release
// has no constant for, and promptgate's own.
const (
	keyPromptVersion = attribute.Key("gen_ai.prompt.version")

	keySuite    = attribute.Key("promptgate.suite")
	keyCase     = attribute.Key("promptgate.case")
	keyRepeat   = attribute.Key("promptgate.repeat")
	keyVariant  = attribute.Key("promptgate.variant")
	keyVerdict  = attribute.Key("promptgate.verdict")
	keyRole     = attribute.Key("promptgate.role")
	keyCost     = attribute.Key("promptgate.cost_usd")
	keyCacheHit = attribute.Key("promptgate.cache_hit")
	keyRetries  = attribute.Key("promptgate.retries")
	keyProvider = attribute.Key("promptgate.provider")
	keyPassed   = attribute.Key("promptgate.passed")
	keyFailed   = attribute.Key("promptgate.failed")
	keyErrored  = attribute.Key("promptgate.errored")
	keySkipped  = attribute.Key("promptgate.skipped")
	// keySide is the side of a check's comparison: base, head or a candidate.
	keySide = attribute.Key("promptgate.side")
)

// SuiteStarted opens a suite's span under the run's.
func (e *Exporter) SuiteStarted(ctx context.Context, s *eval.SuiteResult) context.Context {
	attrs := []attribute.KeyValue{keySuite.String(s.Path), semconv.GenAIPromptName(s.Prompt), keyPromptVersion.String(s.PromptHash),
		keyVariant.String(s.Variant), semconv.GenAIRequestModel(s.Model)}
	name := "suite " + s.Path
	if side := eval.Side(ctx); side != "" {
		attrs = append(attrs, keySide.String(side))
		name += " (" + side + ")"
	}
	ctx, _ = e.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return ctx
}

// SuiteFinished ends the suite's span with its counts.
func (e *Exporter) SuiteFinished(ctx context.Context, s *eval.SuiteResult) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(keyPassed.Int(s.Passed), keyFailed.Int(s.Failed), keyErrored.Int(s.Errored), keySkipped.Int(s.Skipped))
	span.End()
}

// CallFinished records one model call as a client span named "chat {model}".
func (e *Exporter) CallFinished(ctx context.Context, c eval.Call) {
	model := c.SentModel
	if model == "" {
		model = c.Model
	}
	p := e.providers[c.Provider]
	attrs := []attribute.KeyValue{
		semconv.GenAIOperationNameChat,
		semconv.GenAIProviderNameKey.String(p.system(c.Provider)),
		semconv.GenAIRequestModel(model),
		semconv.GenAIUsageInputTokens(c.InputTokens),
		semconv.GenAIUsageOutputTokens(c.OutputTokens),
		semconv.GenAIPromptName(c.Prompt),
		keyPromptVersion.String(c.PromptVersion),
		keySuite.String(c.Suite), keyCase.Int(c.Case), keyRepeat.Int(c.Repeat),
		keyCacheHit.Bool(c.CacheHit), keyRetries.Int(c.Retries), keyProvider.String(c.Provider),
	}
	if p.address != "" {
		attrs = append(attrs, semconv.ServerAddress(p.address))
		if p.port > 0 {
			attrs = append(attrs, semconv.ServerPort(p.port))
		}
	}
	if c.ResponseModel != "" {
		attrs = append(attrs, semconv.GenAIResponseModel(c.ResponseModel))
	}
	if c.FinishReason != "" {
		attrs = append(attrs, semconv.GenAIResponseFinishReasons(c.FinishReason))
	}
	if side := eval.Side(ctx); side != "" {
		attrs = append(attrs, keySide.String(side))
	}
	if c.Variant != "" {
		attrs = append(attrs, keyVariant.String(c.Variant))
	}
	if c.Verdict != "" {
		attrs = append(attrs, keyVerdict.String(string(c.Verdict)))
	}
	if c.Role != "" {
		attrs = append(attrs, keyRole.String(c.Role))
	}
	if c.CostUSD != nil {
		attrs = append(attrs, keyCost.Float64(*c.CostUSD))
	}
	if c.Turn > 0 {
		attrs = append(attrs, keyTurn.Int(c.Turn))
	}
	if e.content {
		attrs = append(attrs, semconv.GenAIInputMessagesKey.String(inputMessages(c.Messages)))
		if c.Error == "" {
			attrs = append(attrs, semconv.GenAIOutputMessagesKey.String(outputMessages(c.Response, c.FinishReason)))
		}
	}
	chatCtx, span := e.tracer.Start(ctx, "chat "+model, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(c.Start), trace.WithAttributes(attrs...))
	if c.Error != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(c.ErrorType))
		span.SetStatus(codes.Error, c.Error)
	}
	e.toolSpans(chatCtx, c)
	span.End(trace.WithTimestamp(c.End))
}

// message is one entry of gen_ai.input.messages / gen_ai.output.messages in
// the conventions' JSON shape.
type message struct {
	Role         string `json:"role"`
	Parts        []part `json:"parts"`
	FinishReason string `json:"finish_reason,omitempty"`
}

type part struct {
	Type    string `json:"type"`
	Content string `json:"content"`
}

func inputMessages(msgs []llm.Message) string {
	out := make([]message, len(msgs))
	for i, m := range msgs {
		out[i] = message{Role: m.Role, Parts: []part{{Type: "text", Content: m.Content}}}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func outputMessages(text, finish string) string {
	b, _ := json.Marshal([]message{{Role: "assistant", Parts: []part{{Type: "text", Content: text}}, FinishReason: finish}})
	return string(b)
}

// providerInfo is what a provider's base URL says about it.
type providerInfo struct {
	name    string // gen_ai.provider.name, "" when the host is not a known one
	address string
	port    int
}

// knownHosts maps API hosts to the conventions' well-known provider names.
var knownHosts = map[string]string{
	"api.openai.com":                    "openai",
	"api.anthropic.com":                 "anthropic",
	"generativelanguage.googleapis.com": "gcp.gemini",
	"api.mistral.ai":                    "mistral_ai",
	"api.deepseek.com":                  "deepseek",
	"api.groq.com":                      "groq",
	"api.x.ai":                          "x_ai",
	"api.perplexity.ai":                 "perplexity",
	"openrouter.ai":                     "openrouter",
}

func describeProvider(p config.Provider) providerInfo {
	u, err := url.Parse(p.BaseURL)
	if err != nil || u.Host == "" {
		return providerInfo{}
	}
	info := providerInfo{address: u.Hostname()}
	if port := u.Port(); port != "" {
		info.port, _ = strconv.Atoi(port)
	} else if u.Scheme == "https" {
		info.port = 443
	} else {
		info.port = 80
	}
	switch host := strings.ToLower(u.Hostname()); {
	case p.Azure || strings.HasSuffix(host, ".openai.azure.com"):
		info.name = "azure.ai.openai"
	case knownHosts[host] != "":
		info.name = knownHosts[host]
	case net.ParseIP(host) == nil && strings.HasSuffix(host, ".openai.com"):
		info.name = "openai"
	}
	return info
}

// system is the call's gen_ai.provider.name: the well-known name for a known
// API host; otherwise (Ollama, vLLM, LiteLLM, a gateway) the provider's own
// name from promptgate.yaml, which the conventions allow as a custom value.
func (p providerInfo) system(configured string) string {
	if p.name != "" {
		return p.name
	}
	if configured == "" {
		return "openai"
	}
	return configured
}
