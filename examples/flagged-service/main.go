// Command flagged-service is the example service of promptgate's online
// evaluation (docs/online.md). It serves a prompt flag with the OpenFeature Go
// SDK and the flagd provider reading the repository's flags file in process,
// "answers" with one of two canned answer sets (stable: valid JSON; canary:
// some invalid), and records each request as an OpenTelemetry span carrying
// the flag evaluation event of OpenFeature's OpenTelemetry hook, with a GenAI
// chat span under it, exported over OTLP/HTTP to promptgate serve.
//
// Configure the exporter with the standard variables:
//
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=https://promptgate.example.com/v1/traces
//	OTEL_EXPORTER_OTLP_TRACES_HEADERS="Authorization=Bearer TOKEN"
//	OTEL_RESOURCE_ATTRIBUTES=promptgate.repository=owner/repo
//
// and run it with the flags file:
//
//	flagged-service --flags flags/prompts.flagd.json --flag summarize --listen :8081 [--flush-timeout 30s]
//
// POST /answer with {"user": "…", "question": "…"} answers
// {"variant": "…", "answer": "…"}. It prints "listening on ADDR" once ready,
// and on SIGINT or SIGTERM flushes its spans and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	otelhook "github.com/open-feature/go-sdk-contrib/hooks/open-telemetry/pkg"
	flagd "github.com/open-feature/go-sdk-contrib/providers/flagd/pkg"
	"github.com/open-feature/go-sdk/openfeature"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// answers are the canned answers per variant key. The stable set is all
// valid JSON; two of the canary's five are not.
var answers = map[string][]string{
	"stable": {
		`{"summary":"The customer cannot log in after the password reset.","sentiment":"negative"}`,
		`{"summary":"The customer asks for an invoice copy.","sentiment":"neutral"}`,
		`{"summary":"The customer thanks support for a fast refund.","sentiment":"positive"}`,
		`{"summary":"The customer reports a broken export button.","sentiment":"negative"}`,
	},
	"canary": {
		`{"summary":"Cannot log in after reset.","sentiment":"negative"}`,
		`Sure! Here is the summary: the customer wants an invoice copy.`,
		`{"summary":"Thanks for the refund.","sentiment":"positive"}`,
		`{"summary":"Export button broken","sentiment":`,
		`{"summary":"Asks about pricing.","sentiment":"neutral"}`,
	},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "flagged-service:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("flagged-service", flag.ContinueOnError)
	flagsFile := fs.String("flags", "flags/prompts.flagd.json", "flagd flags file")
	flagKey := fs.String("flag", "summarize", "the prompt flag to evaluate")
	listen := fs.String("listen", "127.0.0.1:8081", "listen address")
	flushTimeout := fs.Duration("flush-timeout", 30*time.Second, "how long to wait on exit for the last spans' export")
	if err := fs.Parse(args); err != nil {
		return err
	}

	exp, err := otlptracehttp.New(ctx) // endpoint and headers from OTEL_EXPORTER_OTLP_*
	if err != nil {
		return fmt.Errorf("create OTLP exporter: %w", err)
	}
	res, err := resource.New(ctx, resource.WithFromEnv(), resource.WithAttributes(attribute.String("service.name", "flagged-service")))
	if err != nil {
		return fmt.Errorf("describe resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), *flushTimeout)
		defer cancel()
		// Shutdown flushes the last spans; spans it could not export are lost, so say so.
		if err := tp.Shutdown(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "flagged-service: export the last spans:", err)
		}
	}()

	provider, err := flagd.NewProvider(flagd.WithInProcessResolver(), flagd.WithOfflineFilePath(*flagsFile))
	if err != nil {
		return fmt.Errorf("create flagd provider: %w", err)
	}
	if err := openfeature.SetProviderAndWait(provider); err != nil {
		return fmt.Errorf("start flagd provider: %w", err)
	}
	defer openfeature.Shutdown()
	openfeature.AddHooks(otelhook.NewTracesHook())

	s := &service{flag: *flagKey, client: openfeature.NewDefaultClient(), tracer: tp.Tracer("flagged-service")}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /answer", s.answer)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "listening on %s\n", ln.Addr())
	select {
	case <-ctx.Done():
	case err := <-errc:
		return err
	}
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

type service struct {
	flag   string
	client *openfeature.Client
	tracer trace.Tracer
	served [2]atomic.Int64 // per variant: stable, canary
}

// answer evaluates the flag for the user inside the request's span (where
// the OpenTelemetry hook records the evaluation), then "calls the model" in
// a GenAI chat span.
func (s *service) answer(w http.ResponseWriter, r *http.Request) {
	var req struct{ User, Question string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || req.User == "" {
		http.Error(w, `want {"user": "…", "question": "…"}`, http.StatusBadRequest)
		return
	}
	ctx, span := s.tracer.Start(r.Context(), "POST /answer", trace.WithSpanKind(trace.SpanKindServer))
	defer span.End()
	details, err := s.client.StringValueDetails(ctx, s.flag, "", openfeature.NewEvaluationContext(req.User, nil))
	set, ok := answers[details.Variant]
	if err != nil || !ok {
		http.Error(w, fmt.Sprintf("flag %s: variant %q (%v)", s.flag, details.Variant, err), http.StatusInternalServerError)
		return
	}
	i := 0
	if details.Variant == "canary" {
		i = 1
	}
	text := set[int(s.served[i].Add(1)-1)%len(set)]

	_, chat := s.tracer.Start(ctx, "chat gpt-4.1-mini", trace.WithSpanKind(trace.SpanKindClient))
	in, _ := json.Marshal([]map[string]any{{"role": "user", "parts": []map[string]string{{"type": "text", "content": req.Question}}}})
	out, _ := json.Marshal([]map[string]any{{"role": "assistant", "finish_reason": "stop",
		"parts": []map[string]string{{"type": "text", "content": text}}}})
	chat.SetAttributes(attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.provider.name", "openai"),
		attribute.String("gen_ai.request.model", "gpt-4.1-mini"),
		attribute.Int("gen_ai.usage.input_tokens", 40+len(req.Question)/4), attribute.Int("gen_ai.usage.output_tokens", len(text)/4),
		attribute.String("gen_ai.input.messages", string(in)), attribute.String("gen_ai.output.messages", string(out)))
	chat.End()

	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"variant": details.Variant, "answer": text})
}
