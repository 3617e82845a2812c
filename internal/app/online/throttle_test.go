package online

import (
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"

	"github.com/promptgate/promptgate/internal/testkit"
)

// TestReceiverThrottlesPerRepository: past its export rate, a repository's
// exports are answered 429 with Retry-After (OTLP/HTTP's answer to a client
// that sends too much, which its exporters retry after the wait) and move
// nothing; another repository's exports are still taken; the bucket refills
// as time passes. The clock is the receiver's own, moved by hand.
func TestReceiverThrottlesPerRepository(t *testing.T) {
	t.Parallel()
	c := testkit.NewClock(time.Unix(1000, 0))
	// 0.5 exports a second: a burst of one, then one every 2 s.
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: isJSONConfig}, ExportRate: 0.5, Now: c.Now})
	exportOf := func(repo string, trace int) *coltrace.ExportTraceServiceRequest {
		return export(repo, serverSpan(trace, 1, "summarize", "stable"), chatSpan(trace, 2, 1, `{}`))
	}
	steps := []struct {
		name       string
		advance    time.Duration
		token      string
		repo       string
		want       int
		retryAfter string
	}{
		{"the burst", 0, tokenA, repoA, 200, ""},
		{"over the rate", 0, tokenA, repoA, 429, "2"},
		{"another repository", 0, tokenB, repoB, 200, ""},
		{"half refilled", time.Second, tokenA, repoA, 429, "1"},
		{"refilled", time.Second, tokenA, repoA, 200, ""},
	}
	for i, st := range steps {
		c.Advance(st.advance)
		r := postProto(t, ts.url, st.token, exportOf(st.repo, i))
		if r.status != st.want || r.header.Get("Retry-After") != st.retryAfter {
			t.Errorf("%s: %d, Retry-After %q (%s); want %d, Retry-After %q", st.name, r.status, r.header.Get("Retry-After"), r.body,
				st.want, st.retryAfter)
		}
	}
	// An answered export has counted its sample before the answer.
	m, _ := scrape(t, ts.url)
	want := map[string]float64{samplesKey(repoA, "summarize", "stable"): 2, samplesKey(repoB, "summarize", "stable"): 1,
		`promptgate_online_throttled_exports_total{repo="acme/support"}`: 2}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %g, want %g (refused exports must move nothing)", k, m[k], v)
		}
	}
}
