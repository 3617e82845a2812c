package online

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// RepoAttribute is the resource attribute with which a service may declare the
// repository ("owner/repo") its spans belong to. When present it must match
// the token's repository, so a service given the wrong token is refused
// instead of counting for someone else.
const RepoAttribute = "promptgate.repository"

// Evaluation is one feature flag evaluation recorded on a span.
type Evaluation struct {
	Flag, Variant string
}

// span is what the joiner keeps of one exported span: its place in the trace,
// the flag evaluations on it, and, for a GenAI chat span, the answer.
type span struct {
	trace  string // hex trace ID
	id     string // hex span ID
	parent string // hex parent span ID, "" for a root
	evals  []Evaluation
	// flagSpan is set when the evaluations come from feature_flag.*
	// attributes of the span itself (a span per evaluation, as a SpanHook
	// writes), which may sit beside the chat span rather than above it.
	flagSpan bool
	chat     *answer
}

// answer is what a GenAI chat span recorded of a model call. Its text is
// users' production content: it is graded and dropped, never logged.
type answer struct {
	output  string
	input   string
	model   string
	latency time.Duration
	inTok   int64
	outTok  int64
}

// chatOperations are the gen_ai.operation.name values of a model call whose
// output is text.
var chatOperations = map[string]bool{"chat": true, "text_completion": true, "generate_content": true}

// extract reads the spans that matter out of one export: spans carrying flag
// evaluations and GenAI chat spans. It returns how many spans it rejected and
// why (the first reason), for OTLP's partial_success.
func extract(req *coltrace.ExportTraceServiceRequest) (out []span, rejected int64, why string) {
	reject := func(reason string) {
		rejected++
		if why == "" {
			why = reason
		}
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				s, ok, reason := readSpan(sp)
				if reason != "" {
					reject(reason)
					continue
				}
				if ok {
					out = append(out, s)
				}
			}
		}
	}
	return out, rejected, why
}

// readSpan returns the span's facts, or a reason when it is unusable.
func readSpan(sp *tracepb.Span) (span, bool, string) {
	if len(sp.GetTraceId()) != 16 || allZero(sp.GetTraceId()) {
		return span{}, false, "span with an invalid trace ID"
	}
	if len(sp.GetSpanId()) != 8 || allZero(sp.GetSpanId()) {
		return span{}, false, "span with an invalid span ID"
	}
	if p := sp.GetParentSpanId(); len(p) != 0 && len(p) != 8 {
		return span{}, false, "span with an invalid parent span ID"
	}
	s := span{trace: hex.EncodeToString(sp.GetTraceId()), id: hex.EncodeToString(sp.GetSpanId())}
	if p := sp.GetParentSpanId(); len(p) == 8 && !allZero(p) {
		s.parent = hex.EncodeToString(p)
	}
	for _, ev := range sp.GetEvents() {
		if ev.GetName() == "feature_flag.evaluation" || ev.GetName() == "feature_flag" {
			if e, ok := evaluation(ev.GetAttributes()); ok {
				s.evals = append(s.evals, e)
			}
		}
	}
	if e, ok := evaluation(sp.GetAttributes()); ok {
		s.evals = append(s.evals, e)
		s.flagSpan = true
	}
	a, isChat, reason := chatAnswer(sp)
	if reason != "" {
		return span{}, false, reason
	}
	if isChat {
		s.chat = &a
	}
	// Every span is kept: a chat span's ancestry runs through spans that
	// carry nothing themselves.
	return s, true, ""
}

// evaluation reads feature_flag.key and the variant, under its current name
// feature_flag.result.variant or the older feature_flag.variant.
func evaluation(attrs []*commonpb.KeyValue) (Evaluation, bool) {
	flag := stringAttr(attrs, "feature_flag.key")
	variant := stringAttr(attrs, "feature_flag.result.variant")
	if variant == "" {
		variant = stringAttr(attrs, "feature_flag.variant")
	}
	return Evaluation{Flag: flag, Variant: variant}, flag != "" && variant != ""
}

// chatAnswer reads a GenAI chat span: the output from gen_ai.output.messages,
// or the older gen_ai.choice / gen_ai.assistant.message events or
// gen_ai.completion attribute. A chat span whose content was not captured
// cannot be graded, so it is unusable.
func chatAnswer(sp *tracepb.Span) (answer, bool, string) {
	attrs := sp.GetAttributes()
	op := stringAttr(attrs, "gen_ai.operation.name")
	out, hasOut := attr(attrs, "gen_ai.output.messages")
	if !chatOperations[op] && !hasOut {
		return answer{}, false, ""
	}
	a := answer{model: stringAttr(attrs, "gen_ai.response.model"), inTok: intAttr(attrs, "gen_ai.usage.input_tokens"),
		outTok: intAttr(attrs, "gen_ai.usage.output_tokens")}
	if a.model == "" {
		a.model = stringAttr(attrs, "gen_ai.request.model")
	}
	if e, s := sp.GetEndTimeUnixNano(), sp.GetStartTimeUnixNano(); e > s {
		a.latency = time.Duration(e - s)
	}
	if in, ok := attr(attrs, "gen_ai.input.messages"); ok {
		a.input, _ = messagesText(value(in))
	}
	switch {
	case hasOut:
		text, ok := messagesText(value(out))
		if !ok {
			return answer{}, false, "gen_ai.output.messages is not a list of messages with parts"
		}
		a.output = text
		return a, true, ""
	case hasString(attrs, "gen_ai.completion"):
		a.output = stringAttr(attrs, "gen_ai.completion")
		return a, true, ""
	}
	var parts []string
	for _, ev := range sp.GetEvents() {
		switch ev.GetName() {
		case "gen_ai.choice":
			if m, ok := attr(ev.GetAttributes(), "message"); ok {
				parts = append(parts, contentOf(value(m)))
			}
		case "gen_ai.assistant.message":
			parts = append(parts, stringAttr(ev.GetAttributes(), "content"))
		}
	}
	if len(parts) == 0 {
		return answer{}, false, "GenAI chat span without its output: turn on content capture " +
			"(OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT) to have it graded"
	}
	a.output = strings.Join(parts, "\n")
	return a, true, ""
}

// messagesText joins the text parts of a GenAI messages list, given as a JSON
// string or as a structured value. Messages carry parts
// [{"type":"text","content":…}]; an older "content" string is read too.
func messagesText(v any) (string, bool) {
	if s, ok := v.(string); ok {
		var parsed any
		if err := json.Unmarshal([]byte(s), &parsed); err != nil {
			return "", false
		}
		v = parsed
	}
	list, ok := v.([]any)
	if !ok {
		return "", false
	}
	var texts []string
	for _, m := range list {
		msg, ok := m.(map[string]any)
		if !ok {
			return "", false
		}
		if parts, ok := msg["parts"].([]any); ok {
			for _, p := range parts {
				if pm, ok := p.(map[string]any); ok && (pm["type"] == "text" || pm["type"] == nil) {
					if c, ok := pm["content"].(string); ok {
						texts = append(texts, c)
					}
				}
			}
			continue
		}
		if c, ok := msg["content"].(string); ok {
			texts = append(texts, c)
		}
	}
	return strings.Join(texts, "\n"), true
}

// contentOf reads the content of an older gen_ai.choice event's message,
// structured or as a JSON string.
func contentOf(v any) string {
	if s, ok := v.(string); ok {
		var m map[string]any
		if json.Unmarshal([]byte(s), &m) != nil {
			return s
		}
		v = m
	}
	if m, ok := v.(map[string]any); ok {
		if c, ok := m["content"].(string); ok {
			return c
		}
	}
	return ""
}

func attr(attrs []*commonpb.KeyValue, key string) (*commonpb.AnyValue, bool) {
	for _, kv := range attrs {
		if kv.GetKey() == key {
			return kv.GetValue(), kv.GetValue() != nil
		}
	}
	return nil, false
}

func stringAttr(attrs []*commonpb.KeyValue, key string) string {
	v, _ := attr(attrs, key)
	return v.GetStringValue()
}

func hasString(attrs []*commonpb.KeyValue, key string) bool {
	v, ok := attr(attrs, key)
	_, isStr := v.GetValue().(*commonpb.AnyValue_StringValue)
	return ok && isStr
}

func intAttr(attrs []*commonpb.KeyValue, key string) int64 {
	v, _ := attr(attrs, key)
	return v.GetIntValue()
}

// value converts an OTLP AnyValue to plain Go values (string, bool, int64,
// float64, []any, map[string]any), bounded in depth.
func value(v *commonpb.AnyValue) any { return valueAt(v, 0) }

func valueAt(v *commonpb.AnyValue, depth int) any {
	if v == nil || depth > 32 {
		return nil
	}
	switch t := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return t.StringValue
	case *commonpb.AnyValue_BoolValue:
		return t.BoolValue
	case *commonpb.AnyValue_IntValue:
		return t.IntValue
	case *commonpb.AnyValue_DoubleValue:
		return t.DoubleValue
	case *commonpb.AnyValue_ArrayValue:
		out := make([]any, 0, len(t.ArrayValue.GetValues()))
		for _, x := range t.ArrayValue.GetValues() {
			out = append(out, valueAt(x, depth+1))
		}
		return out
	case *commonpb.AnyValue_KvlistValue:
		out := make(map[string]any, len(t.KvlistValue.GetValues()))
		for _, kv := range t.KvlistValue.GetValues() {
			out[kv.GetKey()] = valueAt(kv.GetValue(), depth+1)
		}
		return out
	}
	return nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
