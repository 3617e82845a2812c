// Package telemetry exports a run's model calls as OpenTelemetry spans over
// OTLP/HTTP, following the OpenTelemetry GenAI semantic conventions: one trace
// per eval or check run, a span per suite, and a "chat {model}" span per call.
// Export is batched in the background and never fails or blocks the run: an
// unreachable collector costs one warning.
package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
)

// Options configure an Exporter.
type Options struct {
	// Endpoint is the collector's base URL, as in OTEL_EXPORTER_OTLP_ENDPOINT
	// (http://127.0.0.1:4318); "/v1/traces" is appended. TracesEndpoint, when
	// set, is the full traces URL instead (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT).
	Endpoint, TracesEndpoint string
	// Content adds the rendered messages and the response text to call spans
	// (gen_ai.input.messages, gen_ai.output.messages). Off by default: prompts
	// and answers may hold personal data.
	Content bool
	// Providers are the configured providers; their base URLs name the
	// gen_ai.provider.name and server.address of each call.
	Providers []config.Provider
	// Version is promptgate's version, for service.version.
	Version string
	// Logger receives the one warning an unreachable collector costs.
	Logger *slog.Logger
}

// Exporter turns eval.Observer events into spans. It is safe for concurrent use.
type Exporter struct {
	tp        *sdktrace.TracerProvider
	tracer    trace.Tracer
	content   bool
	providers map[string]providerInfo
	target    string
	log       *slog.Logger
	warnOnce  sync.Once
	failed    chan struct{}
}

var _ eval.Observer = (*Exporter)(nil)

// exportTimeout bounds one export attempt and the retries of one batch, so a
// slow or absent collector can delay the end of a run by at most this much.
const exportTimeout = 2 * time.Second

// New starts an exporter. It makes no network call: the first batch goes out
// in the background.
func New(ctx context.Context, o Options) (*Exporter, error) {
	target, err := TracesURL(o.Endpoint, o.TracesEndpoint)
	if err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(target),
		otlptracehttp.WithTimeout(exportTimeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 200 * time.Millisecond,
			MaxInterval: time.Second, MaxElapsedTime: exportTimeout}))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	e := &Exporter{
		content:   o.Content,
		providers: map[string]providerInfo{},
		target:    target,
		log:       o.Logger,
		failed:    make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	for _, p := range o.Providers {
		e.providers[p.Name] = describeProvider(p)
	}
	res := resource.NewSchemaless(semconv.ServiceName("promptgate"), semconv.ServiceVersion(o.Version))
	e.tp = sdktrace.NewTracerProvider(
		sdktrace.WithResource(res),
		// Batched and never blocking: a full queue drops spans rather than
		// slowing calls. 16,384 spans hold far more than one batch period.
		// Exporting every half second, while the run waits on the model,
		// leaves little for the flush at the end.
		sdktrace.WithBatcher(warnOnFailure{exp, e}, sdktrace.WithMaxQueueSize(16384),
			sdktrace.WithMaxExportBatchSize(512), sdktrace.WithBatchTimeout(500*time.Millisecond)),
	)
	e.tracer = e.tp.Tracer("github.com/promptgate/promptgate")
	return e, nil
}

// warnOnFailure reports a failed export to the Exporter (one warning) and
// hides it from the SDK, whose global error handler would print every
// failure to the process's stderr.
type warnOnFailure struct {
	sdktrace.SpanExporter
	e *Exporter
}

func (w warnOnFailure) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := w.SpanExporter.ExportSpans(ctx, spans); err != nil && w.e != nil {
		w.e.exportFailed(err)
	}
	return nil
}

// TracesURL resolves where spans go: the full traces URL when given, else the
// base endpoint with /v1/traces appended, as the OTLP exporter spec does.
func TracesURL(endpoint, tracesEndpoint string) (string, error) {
	raw, from := tracesEndpoint, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	if raw == "" {
		raw, from = strings.TrimRight(endpoint, "/")+"/v1/traces", "--otlp"
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: want an http:// or https:// URL such as http://127.0.0.1:4318, got %q", from, redact(raw))
	}
	return raw, nil
}

// redact drops a URL's userinfo so a credential never reaches a message.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		u.User = nil
		return u.String()
	}
	return raw
}

func (e *Exporter) exportFailed(err error) {
	e.warnOnce.Do(func() {
		close(e.failed)
		e.log.Warn("could not export traces; the run goes on without them", "endpoint", redact(e.target), "err", err)
	})
}

// StartRun opens the run's root span, named after the command ("promptgate
// eval"); every suite and call of the run is under it. End it with the
// returned span's End, then call Shutdown.
func (e *Exporter) StartRun(ctx context.Context, command string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return e.tracer.Start(ctx, "promptgate "+command, trace.WithAttributes(attrs...))
}

// Shutdown flushes the spans still queued. It waits at most a few seconds,
// less when the collector has already failed, and reports no error: tracing
// never fails a run.
func (e *Exporter) Shutdown(ctx context.Context) {
	wait := exportTimeout + time.Second
	select {
	case <-e.failed:
		wait = 500 * time.Millisecond
	default:
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	if err := e.tp.Shutdown(ctx); err != nil {
		e.exportFailed(err)
	}
}
