package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// fakeCollector is an OTLP/HTTP traces receiver: it accepts only protobuf
// POSTs to /v1/traces and keeps every span it decodes.
type fakeCollector struct {
	*httptest.Server
	mu    sync.Mutex
	spans []*tracepb.Span
}

func newFakeCollector(t *testing.T) *fakeCollector {
	f := &fakeCollector{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, r *http.Request) {
		if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			t.Errorf("collector: Content-Type %q", ct)
		}
		body, _ := io.ReadAll(r.Body)
		var req coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(body, &req); err != nil {
			t.Errorf("collector: body: %v", err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				f.spans = append(f.spans, ss.Spans...)
			}
		}
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		b, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Write(b)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("collector: unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func attrs(s *tracepb.Span) map[string]string {
	m := map[string]string{}
	for _, kv := range s.Attributes {
		m[kv.Key] = anyValue(kv.Value)
	}
	return m
}

func anyValue(v *commonpb.AnyValue) string {
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_DoubleValue:
		return fmt.Sprint(x.DoubleValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	case *commonpb.AnyValue_ArrayValue:
		var parts []string
		for _, e := range x.ArrayValue.Values {
			parts = append(parts, anyValue(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return ""
}

// TestEvalExportsGenAISpans runs eval with --otlp against the fake model and
// the fake collector: one trace, a run span, a suite span and one "chat"
// span per call with the GenAI attributes; content only with --otlp-content.
func TestEvalExportsGenAISpans(t *testing.T) {
	t.Parallel()
	for _, withContent := range []bool{false, true} {
		t.Run(fmt.Sprintf("content=%v", withContent), func(t *testing.T) {
			t.Parallel()
			model, calls := fakeModel(t)
			col := newFakeCollector(t)
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{
				"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
				"evals/classify.yaml":     scenarioSuite,
			})
			env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}
			args := []string{"eval", "-C", dir, "--quiet", "--no-cache", "--otlp", col.URL}
			if withContent {
				args = append(args, "--otlp-content")
			}
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr); code != ExitOK {
				t.Fatalf("exit %d\n%s", code, stderr.String())
			}
			if stderr.Len() > 0 {
				t.Errorf("stderr not empty:\n%s", stderr.String())
			}
			col.mu.Lock()
			defer col.mu.Unlock()
			byName := map[string][]*tracepb.Span{}
			for _, s := range col.spans {
				byName[s.Name] = append(byName[s.Name], s)
				if !bytes.Equal(s.TraceId, col.spans[0].TraceId) {
					t.Errorf("span %q in another trace", s.Name)
				}
			}
			run, suite, chats := byName["promptgate eval"], byName["suite evals/classify.yaml"], byName["chat gpt-4.1-mini"]
			if len(run) != 1 || len(suite) != 1 || len(chats) != *calls || *calls != 4 {
				t.Fatalf("spans: %d run, %d suite, %d chat for %d calls; all: %v", len(run), len(suite), len(chats), *calls, keys(byName))
			}
			if len(run[0].ParentSpanId) != 0 || !bytes.Equal(suite[0].ParentSpanId, run[0].SpanId) {
				t.Errorf("run span must be the root and parent the suite span")
			}
			verdicts := map[string]int{}
			for _, c := range chats {
				if !bytes.Equal(c.ParentSpanId, suite[0].SpanId) || c.Kind != tracepb.Span_SPAN_KIND_CLIENT {
					t.Errorf("chat span: parent %x kind %v", c.ParentSpanId, c.Kind)
				}
				a := attrs(c)
				for k, want := range map[string]string{
					"gen_ai.operation.name": "chat", "gen_ai.provider.name": "default", "gen_ai.request.model": "gpt-4.1-mini",
					"gen_ai.response.model": "gpt-4.1-mini", "gen_ai.usage.input_tokens": "200", "gen_ai.usage.output_tokens": "5",
					"gen_ai.response.finish_reasons": "[stop]", "gen_ai.prompt.name": "classify", "server.address": "127.0.0.1",
					"promptgate.suite": "evals/classify.yaml", "promptgate.cache_hit": "false",
				} {
					if a[k] != want {
						t.Errorf("%s = %q, want %q", k, a[k], want)
					}
				}
				if len(a["gen_ai.prompt.version"]) < 8 || a["promptgate.cost_usd"] == "" {
					t.Errorf("prompt version %q, cost %q", a["gen_ai.prompt.version"], a["promptgate.cost_usd"])
				}
				verdicts[a["promptgate.verdict"]]++
				_, hasIn := a["gen_ai.input.messages"]
				_, hasOut := a["gen_ai.output.messages"]
				if hasIn != withContent || hasOut != withContent {
					t.Errorf("content attributes present = %v/%v, want %v", hasIn, hasOut, withContent)
				}
				if withContent && !strings.Contains(a["gen_ai.input.messages"], `"role":"user"`) {
					t.Errorf("input messages %s", a["gen_ai.input.messages"])
				}
			}
			if verdicts["pass"] != 4 {
				t.Errorf("verdicts %v, want 4 pass", verdicts)
			}
			if a := attrs(suite[0]); a["promptgate.passed"] != "4" {
				t.Errorf("suite span passed = %q", a["promptgate.passed"])
			}
		})
	}
}

// TestEvalUnreachableCollectorWarnsOnce: tracing never fails a run; a dead
// collector costs exactly one warning.
func TestEvalUnreachableCollectorWarnsOnce(t *testing.T) {
	t.Parallel()
	model, _ := fakeModel(t)
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
	})
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1", "OTEL_EXPORTER_OTLP_ENDPOINT": deadURL}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--no-cache"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if n := strings.Count(stderr.String(), "could not export traces"); n != 1 {
		t.Errorf("%d export warnings, want 1:\n%s", n, stderr.String())
	}
}

// TestOTLPEndpointMustBeHTTP: a bad --otlp is one warning, not a failed run.
func TestOTLPEndpointMustBeHTTP(t *testing.T) {
	t.Parallel()
	model, _ := fakeModel(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
	})
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": model.URL + "/v1"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"eval", "-C", dir, "--quiet", "--no-cache", "--otlp", "grpc://user:secret@collector:4317"},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "tracing is off") || strings.Contains(stderr.String(), "secret") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
