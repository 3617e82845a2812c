package telemetry

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
)

// TestToolCallSpans: a chat call that answered with tool calls carries its
// turn, and each call is an execute_tool span under it with the GenAI
// conventions' tool attributes.
func TestToolCallSpans(t *testing.T) {
	t.Parallel()
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	e := &Exporter{tp: tp, tracer: tp.Tracer("test"), providers: map[string]providerInfo{}}
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.CallFinished(context.Background(), eval.Call{
		TraceRecord: eval.TraceRecord{Prompt: "agent", Model: "gpt-4.1-mini", Turn: 1, Provider: "default",
			ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}},
		Start: start, End: start.Add(time.Second),
	})
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want the chat and one execute_tool", len(spans))
	}
	attrs := func(s sdktrace.ReadOnlySpan) map[attribute.Key]attribute.Value {
		m := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			m[kv.Key] = kv.Value
		}
		return m
	}
	tool, chat := spans[0], spans[1]
	if chat.Name() != "chat gpt-4.1-mini" || attrs(chat)["promptgate.turn"].AsInt64() != 1 {
		t.Errorf("chat span %q, turn %v", chat.Name(), attrs(chat)["promptgate.turn"])
	}
	a := attrs(tool)
	if tool.Name() != "execute_tool get_weather" || tool.Parent().SpanID() != chat.SpanContext().SpanID() ||
		a["gen_ai.operation.name"].AsString() != "execute_tool" || a["gen_ai.tool.name"].AsString() != "get_weather" ||
		a["gen_ai.tool.call.id"].AsString() != "call_1" || a["gen_ai.tool.type"].AsString() != "function" {
		t.Errorf("tool span %q (parent %v) attrs %v", tool.Name(), tool.Parent().SpanID(), a)
	}
}
