package online

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/prometheus/common/expfmt"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/promptgate/promptgate/internal/config"
)

const (
	repoA  = "acme/support"
	repoB  = "acme/billing"
	tokenA = "token-for-support-0001"
	tokenB = "token-for-billing-0002"
)

const flagsDoc = `{
  "flags": {
    "summarize": {
      "state": "ENABLED",
      "variants": {"stable": "support/summarize", "canary": "support/summarize.concise"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 50], ["canary", 50]]}
    }
  }
}
`

const isJSONConfig = `rollout:
  flags_file: flags/prompts.flagd.json
online:
  summarize:
    assert:
      - type: is-json
`

// fakeLoader serves one promptgate.yaml and flags file for every repository.
type fakeLoader struct {
	mu    sync.Mutex
	cfg   string
	calls atomic.Int64
}

func (l *fakeLoader) set(cfg string) { l.mu.Lock(); l.cfg = cfg; l.mu.Unlock() }

func (l *fakeLoader) LoadOnline(_ context.Context, owner, repo string) (*config.Config, []byte, error) {
	l.calls.Add(1)
	l.mu.Lock()
	defer l.mu.Unlock()
	cfg, err := config.Parse([]byte(l.cfg), config.FileName)
	return cfg, []byte(flagsDoc), err
}

var _ Loader = (*fakeLoader)(nil)

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// testServer is a Receiver behind a real HTTP server, as serve mounts it.
type testServer struct {
	url  string
	r    *Receiver
	logs *syncBuffer
}

func startReceiver(t *testing.T, o Options) testServer {
	t.Helper()
	if o.Tokens.Empty() {
		tok, err := ParseTokens(repoA + "=" + tokenA + "," + repoB + "=" + tokenB)
		if err != nil {
			t.Fatal(err)
		}
		o.Tokens = tok
	}
	logs := &syncBuffer{}
	o.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r := New(o)
	mux := http.NewServeMux()
	mux.Handle("/v1/traces", r)
	mux.Handle("GET /metrics", r.Metrics().Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		if err := r.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return testServer{url: srv.URL, r: r, logs: logs}
}

func tid(n int) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b[8:], uint64(n)+1)
	return b
}
func sid(n int) []byte { b := make([]byte, 8); binary.BigEndian.PutUint64(b, uint64(n)+1); return b }

func str(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

// serverSpan is a request's root span with the flag evaluation event the
// OpenFeature OpenTelemetry hook writes.
func serverSpan(trace, id int, flag, variant string) *tracepb.Span {
	return &tracepb.Span{TraceId: tid(trace), SpanId: sid(id), Name: "POST /answer",
		Events: []*tracepb.Span_Event{{Name: "feature_flag.evaluation",
			Attributes: []*commonpb.KeyValue{str("feature_flag.key", flag), str("feature_flag.result.variant", variant),
				str("feature_flag.provider.name", "flagd")}}}}
}

// chatSpan is a GenAI chat span under parent with output as
// gen_ai.output.messages.
func chatSpan(trace, id, parent int, output string) *tracepb.Span {
	msgs := `[{"role":"assistant","parts":[{"type":"text","content":` + quote(output) + `}],"finish_reason":"stop"}]`
	return &tracepb.Span{TraceId: tid(trace), SpanId: sid(id), ParentSpanId: sid(parent), Name: "chat gpt-4.1-mini",
		StartTimeUnixNano: 1_000_000_000, EndTimeUnixNano: 1_250_000_000,
		Attributes: []*commonpb.KeyValue{str("gen_ai.operation.name", "chat"), str("gen_ai.request.model", "gpt-4.1-mini"),
			str("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"SECRET-QUESTION"}]}]`),
			str("gen_ai.output.messages", msgs)}}
}

func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

func export(declared string, spans ...*tracepb.Span) *coltrace.ExportTraceServiceRequest {
	res := &resourcepb.Resource{Attributes: []*commonpb.KeyValue{str("service.name", "answers")}}
	if declared != "" {
		res.Attributes = append(res.Attributes, str(RepoAttribute, declared))
	}
	return &coltrace.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{Resource: res,
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}}}
}

type sent struct {
	status int
	body   []byte
	header http.Header
}

// post sends body to /v1/traces with the token ("" for none).
func post(t *testing.T, url, token, contentType, encoding string, body []byte) sent {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return sent{status: resp.StatusCode, body: b, header: resp.Header}
}

func postProto(t *testing.T, url, token string, req *coltrace.ExportTraceServiceRequest) sent {
	t.Helper()
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, url, token, contentProtobuf, "", b)
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// scrape reads GET /metrics as Prometheus does, keyed name{label="value",…}
// with labels sorted, plus the raw text.
func scrape(t *testing.T, url string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "promptgate_") {
			continue
		}
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+quote(l.GetValue()))
			}
			sort.Strings(ls)
			out[name+"{"+strings.Join(ls, ",")+"}"] = m.GetCounter().GetValue()
		}
	}
	return out, string(raw)
}

func samplesKey(repo, flag, variant string) string {
	return `promptgate_online_samples_total{flag="` + flag + `",repo="` + repo + `",variant="` + variant + `"}`
}

func droppedKey(repo, flag, variant string) string {
	return `promptgate_online_dropped_total{flag="` + flag + `",repo="` + repo + `",variant="` + variant + `"}`
}

func evalsKey(repo, flag, variant, assertion, result string) string {
	return `promptgate_online_evals_total{assertion="` + assertion + `",flag="` + flag + `",repo="` + repo +
		`",result="` + result + `",variant="` + variant + `"}`
}

// fakeEnv is an environment for getenv parameters.
type fakeEnv map[string]string

func (e fakeEnv) get(k string) string { return e[k] }
