package online

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// waitMetrics polls /metrics until ok holds; the bound only keeps a broken
// test from hanging.
func waitMetrics(t *testing.T, url, what string, ok func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	var m map[string]float64
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if m, _ = scrape(t, url); ok(m) {
			return m
		}
	}
	t.Fatalf("timed out waiting for %s; metrics: %v", what, m)
	return nil
}

func TestReceiverJoinsSpansAcrossExports(t *testing.T) {
	t.Parallel()
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: isJSONConfig}})
	// The chat span ends first and comes in one export; the request span
	// holding the flag evaluation comes in the next.
	if r := postProto(t, ts.url, tokenA, export(repoA, chatSpan(1, 2, 1, `{"summary":"ok"}`))); r.status != 200 {
		t.Fatalf("first export: %d %s", r.status, r.body)
	}
	if m, _ := scrape(t, ts.url); m[samplesKey(repoA, "summarize", "stable")] != 0 {
		t.Fatalf("a chat span without its flag counted: %v", m)
	}
	r := postProto(t, ts.url, tokenA, export("", serverSpan(1, 1, "summarize", "stable"),
		serverSpan(2, 1, "summarize", "canary"), chatSpan(2, 2, 1, "Sure! Here is the summary")))
	if r.status != 200 {
		t.Fatalf("second export: %d %s", r.status, r.body)
	}
	var resp coltrace.ExportTraceServiceResponse
	if err := proto.Unmarshal(r.body, &resp); err != nil || resp.GetPartialSuccess().GetRejectedSpans() != 0 {
		t.Fatalf("response %v (%v), want an export response without rejections", &resp, err)
	}
	waitMetrics(t, ts.url, "both samples graded", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")] == 1 &&
			m[evalsKey(repoA, "summarize", "canary", "is-json", "fail")] == 1
	})
	m, _ := scrape(t, ts.url)
	for k, want := range map[string]float64{samplesKey(repoA, "summarize", "stable"): 1, samplesKey(repoA, "summarize", "canary"): 1,
		evalsKey(repoA, "summarize", "stable", "is-json", "fail"): 0, evalsKey(repoA, "summarize", "canary", "is-json", "pass"): 0} {
		if m[k] != want {
			t.Errorf("%s = %g, want %g", k, m[k], want)
		}
	}
}

func TestReceiverRefusesWithoutItsRepositorysToken(t *testing.T) {
	t.Parallel()
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: isJSONConfig}})
	body := export(repoA, serverSpan(1, 1, "summarize", "stable"), chatSpan(1, 2, 1, `{}`))
	tests := []struct {
		name, token string
		want        int
	}{
		{"no token", "", 401},
		{"wrong token", "token-for-nobody-00000", 401},
		{"another repository's token", tokenB, 403},
	}
	for _, tt := range tests {
		if r := postProto(t, ts.url, tt.token, body); r.status != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.status, r.body, tt.want)
		}
	}
	post(t, ts.url, "", contentProtobuf, "", nil) // one more, malformed and unauthenticated
	if m, _ := scrape(t, ts.url); len(m) != 0 {
		t.Fatalf("refused exports moved metrics: %v", m)
	}
	if r := postProto(t, ts.url, tokenA, body); r.status != 200 {
		t.Fatalf("the right token: %d %s", r.status, r.body)
	}
	waitMetrics(t, ts.url, "the accepted sample", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")] == 1
	})
	if m, _ := scrape(t, ts.url); m[samplesKey(repoB, "summarize", "stable")] != 0 {
		t.Errorf("repository B moved: %v", m)
	}
}

// otlpJSON encodes an export as OTLP/JSON, whose IDs are hex.
func otlpJSON(t *testing.T, req *coltrace.ExportTraceServiceRequest) []byte {
	t.Helper()
	b, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				for _, id := range [][]byte{s.GetTraceId(), s.GetSpanId(), s.GetParentSpanId()} {
					if len(id) > 0 {
						b = bytes.ReplaceAll(b, []byte(`"`+b64(id)+`"`), []byte(`"`+hex.EncodeToString(id)+`"`))
					}
				}
			}
		}
	}
	return b
}

func b64(b []byte) string {
	out, _ := protojson.Marshal(&tracepb.Span{SpanId: b})
	s := string(out)
	i := strings.Index(s, `":"`)
	return s[i+3 : len(s)-2]
}

func TestReceiverEncodings(t *testing.T) {
	t.Parallel()
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: isJSONConfig}, MaxBody: 64 << 10})
	pb, _ := proto.Marshal(export("", serverSpan(1, 1, "summarize", "stable"), chatSpan(1, 2, 1, `{}`)))
	js := otlpJSON(t, export("", serverSpan(2, 1, "summarize", "stable"), chatSpan(2, 2, 1, `[1]`)))
	if !bytes.Contains(js, []byte(hex.EncodeToString(tid(2)))) {
		t.Fatalf("JSON export lacks hex IDs: %s", js)
	}
	bomb := gzipped(t, bytes.Repeat([]byte{0}, 1<<20))
	tests := []struct {
		name, ctype, enc string
		body             []byte
		want             int
	}{
		{"protobuf gzip", contentProtobuf, "gzip", gzipped(t, pb), 200},
		{"JSON", "application/json; charset=utf-8", "", js, 200},
		{"too large", contentProtobuf, "", bytes.Repeat([]byte{0}, 65<<10), 413},
		{"gzip bomb", contentProtobuf, "gzip", bomb, 413},
		{"not protobuf", contentProtobuf, "", []byte("\xff\xff\xff"), 400},
		{"JSON with base64 IDs", contentJSON, "", []byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAA=="}]}]}]}`), 400},
		{"text", "text/plain", "", []byte("hi"), 415},
		{"brotli", contentProtobuf, "br", pb, 400},
	}
	for _, tt := range tests {
		r := post(t, ts.url, tokenA, tt.ctype, tt.enc, tt.body)
		if r.status != tt.want {
			t.Errorf("%s: status %d (%s), want %d", tt.name, r.status, r.body, tt.want)
		}
	}
	waitMetrics(t, ts.url, "the protobuf and JSON samples", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")] == 2
	})
	// The JSON answer is JSON too.
	r := post(t, ts.url, tokenA, contentJSON, "", js)
	if r.status != 200 || !bytes.HasPrefix(bytes.TrimSpace(r.body), []byte("{")) {
		t.Errorf("JSON answer %d %q", r.status, r.body)
	}
}

func TestReceiverReportsUnusableSpans(t *testing.T) {
	t.Parallel()
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: isJSONConfig}})
	noContent := chatSpan(1, 3, 1, "x")
	noContent.Attributes = noContent.Attributes[:2]
	badID := serverSpan(1, 4, "summarize", "stable")
	badID.TraceId = []byte{1, 2, 3}
	r := postProto(t, ts.url, tokenA, export("", serverSpan(1, 1, "summarize", "stable"), chatSpan(1, 2, 1, "{}"), noContent, badID))
	var resp coltrace.ExportTraceServiceResponse
	if err := proto.Unmarshal(r.body, &resp); err != nil || r.status != 200 {
		t.Fatalf("status %d, %v", r.status, err)
	}
	if ps := resp.GetPartialSuccess(); ps.GetRejectedSpans() != 2 || !strings.Contains(ps.GetErrorMessage(), "content capture") {
		t.Errorf("partial_success = %v, want 2 rejected, the first for missing content", ps)
	}
	waitMetrics(t, ts.url, "the usable sample", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")] == 1 &&
			m[`promptgate_online_rejected_spans_total{repo="acme/support"}`] == 2
	})
}

// TestSampleRateIsDeterministic grades about sample_rate of the samples, and
// the same ones on every replica: the choice hashes the trace ID.
func TestSampleRateIsDeterministic(t *testing.T) {
	t.Parallel()
	cfg := strings.Replace(isJSONConfig, "    assert:", "    sample_rate: 0.3\n    assert:", 1)
	graded := func() float64 {
		ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: cfg}, Queue: 2000})
		var spans []*tracepb.Span
		for i := range 1000 {
			spans = append(spans, serverSpan(i, 1, "summarize", "stable"), chatSpan(i, 2, 1, "{}"))
		}
		postProto(t, ts.url, tokenA, export("", spans...))
		m := waitMetrics(t, ts.url, "all samples counted", func(m map[string]float64) bool {
			return m[samplesKey(repoA, "summarize", "stable")] == 1000
		})
		want := 0.0
		for i := range 1000 {
			if sampled(hex.EncodeToString(tid(i)), "summarize", 0.3) {
				want++
			}
		}
		m = waitMetrics(t, ts.url, "grading", func(m map[string]float64) bool {
			return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")] == want
		})
		return m[evalsKey(repoA, "summarize", "stable", "is-json", "pass")]
	}
	a, b := graded(), graded()
	fmt.Printf("sample_rate 0.3 graded %g of 1000 samples\n", a)
	if a != b || a < 255 || a > 345 { // 0.3 ± 3 standard deviations (14.5)
		t.Errorf("graded %g and %g of 1000 at sample_rate 0.3; want the same count, near 300", a, b)
	}
}
