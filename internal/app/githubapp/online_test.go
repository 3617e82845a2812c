package githubapp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/promptgate/promptgate/internal/app/online"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

const otlpToken = "otlp-hello-world-token-1"

// onlineYAML grades summarize's answers with one assertion.
func onlineYAML(assertion string) []byte {
	return []byte("rollout:\n  flags_file: " + flagsPath + "\nonline:\n  summarize:\n    assert:\n      - " + assertion + "\n")
}

// sendAnswers exports n requests through the real OpenTelemetry SDK and its
// OTLP/HTTP exporter with the repository's token, and fails on an error.
func sendAnswers(t *testing.T, url string, first, n int, answer func(i int, variant string) string) {
	t.Helper()
	if err := exportAnswers(url, otlpToken, first, n, answer); err != nil {
		t.Fatalf("export: %v", err)
	}
}

// exportAnswers exports n requests (trace i is canary on odd i) through the
// real SDK: a request span carrying OpenFeature's evaluation event and a
// GenAI chat span under it with the answer. token "" sends none. The
// resource declares Codertocat/Hello-World. It returns the exporter's error.
func exportAnswers(url, token string, first, n int, answer func(i int, variant string) string) error {
	ctx := context.Background()
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(url + "/v1/traces"),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false})}
	if token != "" {
		opts = append(opts, otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBlocking(), sdktrace.WithMaxQueueSize(4096)),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "answers"),
			attribute.String(online.RepoAttribute, "Codertocat/Hello-World"))))
	tr := tp.Tracer("test")
	for i := first; i < first+n; i++ {
		variant := "stable"
		if i%2 == 1 {
			variant = "canary"
		}
		rctx, req := tr.Start(ctx, "POST /answer", trace.WithSpanKind(trace.SpanKindServer))
		req.AddEvent("feature_flag.evaluation", trace.WithAttributes(attribute.String("feature_flag.key", "summarize"),
			attribute.String("feature_flag.result.variant", variant)))
		_, chat := tr.Start(rctx, "chat gpt-4.1-mini", trace.WithSpanKind(trace.SpanKindClient))
		chat.SetAttributes(attribute.String("gen_ai.operation.name", "chat"),
			attribute.String("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"SECRET-QUESTION"}]}]`),
			attribute.String("gen_ai.output.messages", fmt.Sprintf(`[{"role":"assistant","parts":[{"type":"text","content":%q}]}]`, answer(i, variant))))
		chat.End()
		req.End()
	}
	// ForceFlush returns the last export's error (a 401, say); Shutdown
	// then stops the exporter.
	err = tp.ForceFlush(ctx)
	return errors.Join(err, tp.Shutdown(ctx))
}

func metricsText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestOnlineEvaluationThroughServe: serve receives the SDK's exports, reads
// the online section from the default branch through the App's installation,
// counts and grades per variant, serves the counts at /metrics, reads the
// config again after a push to the default branch, and writes nothing of the
// answers to its logs, its metrics or GitHub.
func TestOnlineEvaluationThroughServe(t *testing.T) {
	t.Parallel()
	tokens, err := online.ParseTokens("Codertocat/Hello-World=" + otlpToken)
	if err != nil {
		t.Fatal(err)
	}
	r := newRigWith(t, func(c *Config, gh *ghfake.Server) {
		c.OTLPTokens = tokens
		gh.DefaultBranch = "master"
		gh.Installations["Codertocat/Hello-World"] = 1
		gh.SetFile("master", flagsPath, []byte(autoFlags))
		gh.SetFile("master", "promptgate.yaml", onlineYAML("type: is-json"))
	})
	t.Cleanup(func() { _ = r.srv.Shutdown(context.Background()) })
	answer := func(i int, variant string) string {
		if variant == "canary" {
			return fmt.Sprintf("SECRET-ANSWER-%d is not JSON", i)
		}
		return fmt.Sprintf(`{"secret":"SECRET-ANSWER-%d"}`, i)
	}
	sendAnswers(t, r.http.URL, 0, 10, answer)
	line := func(assertion, result, variant string, n int) string {
		return fmt.Sprintf(`promptgate_online_evals_total{assertion=%q,flag="summarize",repo="Codertocat/Hello-World",result=%q,variant=%q} %d`,
			assertion, result, variant, n)
	}
	eventually(t, "the first ten graded", func() bool {
		m := metricsText(t, r.http.URL)
		return strings.Contains(m, line("is-json", "pass", "stable", 5)) && strings.Contains(m, line("is-json", "fail", "canary", 5))
	}, r.logs.String)
	m := metricsText(t, r.http.URL)
	for _, want := range []string{`promptgate_online_samples_total{flag="summarize",repo="Codertocat/Hello-World",variant="canary"} 5`,
		"go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// A push to the default branch changes the assertion; serve reads it again.
	r.gh.SetFile("master", "promptgate.yaml", onlineYAML("{type: contains, value: SECRET-ANSWER, metric: names_it}"))
	if code := r.deliver(t, "push-1", "push", payload(t, "push.master.json"), testSecret); code/100 != 2 {
		t.Fatalf("push delivery: %d", code)
	}
	eventually(t, "the new assertion to grade new answers", func() bool {
		sendAnswers(t, r.http.URL, 10, 2, answer)
		return strings.Contains(metricsText(t, r.http.URL), `assertion="names_it"`)
	}, r.logs.String)

	for name, text := range map[string]string{"logs": r.logs.String(), "metrics": metricsText(t, r.http.URL)} {
		if strings.Contains(text, "SECRET") {
			t.Errorf("production content in serve's %s", name)
		}
	}
	if len(r.gh.Commits()) != 0 || len(r.gh.Comments()) != 0 {
		t.Errorf("online evaluation wrote to GitHub: %d commits, %d comments", len(r.gh.Commits()), len(r.gh.Comments()))
	}
}

// TestMetricsWithoutOTLP: /metrics is always served; /v1/traces exists only
// with tokens.
func TestMetricsWithoutOTLP(t *testing.T) {
	t.Parallel()
	r := newRig(t)
	if m := metricsText(t, r.http.URL); !strings.Contains(m, "go_goroutines ") {
		t.Errorf("/metrics without OTLP tokens:\n%s", m)
	}
	resp, err := http.Post(r.http.URL+"/v1/traces", "application/x-protobuf", strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("POST /v1/traces without tokens: %d, want 404", resp.StatusCode)
	}
}

func TestConfigFromEnvOnline(t *testing.T) {
	t.Parallel()
	env := map[string]string{"PROMPTGATE_APP_ID": "42", "PROMPTGATE_PRIVATE_KEY": "-----BEGIN\nX", "PROMPTGATE_WEBHOOK_SECRET": "s",
		"PROMPTGATE_OTLP_TOKENS": "acme/support=" + otlpToken, "PROMPTGATE_JUDGE_KEYS": "acme/support=JUDGE_KEY", "JUDGE_KEY": "sk-judge"}
	c, err := ConfigFromEnv(func(k string) string { return env[k] }, []string{"--online-workers", "8", "--otlp-rate", "2.5"})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := c.OTLPTokens.Repo(otlpToken); !ok || r != "acme/support" || c.OnlineWorkers != 8 || c.OnlineQueue != 0 || c.OTLPRate != 2.5 {
		t.Errorf("config = %v", c)
	}
	if s := c.String(); strings.Contains(s, otlpToken) || strings.Contains(s, "sk-judge") || !strings.Contains(s, "otlp_repos=1") {
		t.Errorf("String() = %s", s)
	}
	for _, rate := range []string{"0", "-1", "NaN", "Inf", "fast"} {
		if _, err := ConfigFromEnv(func(k string) string { return env[k] }, []string{"--otlp-rate", rate}); err == nil || !strings.Contains(err.Error(), "PROMPTGATE_OTLP_RATE") {
			t.Errorf("--otlp-rate %s: %v", rate, err)
		}
	}
	env["PROMPTGATE_OTLP_TOKENS"] = "acme/support=short"
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }, nil); err == nil || !strings.Contains(err.Error(), "PROMPTGATE_OTLP_TOKENS") {
		t.Errorf("short token: %v", err)
	}
}
