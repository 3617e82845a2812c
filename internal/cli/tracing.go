package cli

import (
	"cmp"
	"context"
	"flag"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/telemetry"
)

// tracingFlags are --otlp and --otlp-content, shared by eval and check.
type tracingFlags struct {
	endpoint string
	content  bool
}

func (t *tracingFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.endpoint, "otlp", "", "export one OpenTelemetry span per model call to the OTLP/HTTP collector at base `URL` "+
		"(default $OTEL_EXPORTER_OTLP_ENDPOINT; e.g. http://127.0.0.1:4318)")
	fs.BoolVar(&t.content, "otlp-content", false, "also export prompts and responses as span attributes (off: they may hold personal data)")
}

// start opens the run's trace when an endpoint is configured. It returns the
// context that carries the run span, the observer for the runner (nil when
// tracing is off) and a function that ends the span and flushes the export.
// An exporter that cannot be built is one warning: tracing never fails a run.
func (t tracingFlags) start(ctx context.Context, command string, cfg *config.Config, env Env, logger *slog.Logger) (context.Context, eval.Observer, func()) {
	endpoint := cmp.Or(t.endpoint, env.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT"))
	tracesEndpoint := ""
	if t.endpoint == "" {
		tracesEndpoint = env.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	}
	if endpoint == "" && tracesEndpoint == "" {
		return ctx, nil, func() {}
	}
	var providers []config.Provider
	for _, p := range cfg.Providers {
		providers = append(providers, config.Provider{Name: p.Name, BaseURL: p.ResolveBaseURL(env.Getenv), Azure: p.Azure})
	}
	exp, err := telemetry.New(ctx, telemetry.Options{Endpoint: endpoint, TracesEndpoint: tracesEndpoint, Content: t.content,
		Providers: providers, Version: Version, Logger: logger})
	if err != nil {
		logger.Warn("tracing is off", "err", err)
		return ctx, nil, func() {}
	}
	ctx, span := exp.StartRun(ctx, command, attribute.String("promptgate.version", Version))
	return ctx, exp, func() {
		span.End()
		exp.Shutdown(context.WithoutCancel(ctx))
	}
}
