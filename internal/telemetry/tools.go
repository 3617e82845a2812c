package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/promptgate/promptgate/internal/eval"
)

// keyTurn is a call's place in its case's tool loop, from 1.
var keyTurn = attribute.Key("promptgate.turn")

// toolSpans records the tool calls a chat call answered with as
// execute_tool spans under it, with the conventions' gen_ai.tool.name,
// gen_ai.tool.call.id and gen_ai.tool.type. promptgate executes no tool (the
// test gives the result), so each span takes no time: it marks the call at
// the end of the chat that asked for it.
func (e *Exporter) toolSpans(ctx context.Context, c eval.Call) {
	for _, tc := range c.ToolCalls {
		_, span := e.tracer.Start(ctx, "execute_tool "+tc.Name, trace.WithSpanKind(trace.SpanKindInternal),
			trace.WithTimestamp(c.End), trace.WithAttributes(semconv.GenAIOperationNameExecuteTool,
				semconv.GenAIToolName(tc.Name), semconv.GenAIToolCallID(tc.ID), semconv.GenAIToolType("function"),
				keyTurn.Int(c.Turn)))
		span.End(trace.WithTimestamp(c.End))
	}
}
