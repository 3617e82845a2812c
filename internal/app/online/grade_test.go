package online

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// rubricConfig grades with is-json and an llm-rubric judged by the fake
// model at base.
func rubricConfig(base string) string {
	return `providers:
  default:
    base_url: ` + base + `/v1
    api_key_env: JUDGE_KEY
    concurrency: 64
rollout:
  flags_file: flags/prompts.flagd.json
online:
  summarize:
    assert:
      - type: is-json
      - type: llm-rubric
        value: The summary is polite.
        metric: polite
`
}

func judgeServer(t *testing.T, o llmfake.Options) (*llmfake.Server, string) {
	t.Helper()
	fake := llmfake.New(o)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// TestFullPoolDropsAndCounts: a slow judge and a one-slot queue: every sample
// is counted, each one either graded or dropped, and nothing waits unbounded.
func TestFullPoolDropsAndCounts(t *testing.T) {
	t.Parallel()
	fake, base := judgeServer(t, llmfake.Options{Latency: 300 * time.Millisecond, APIKey: "judge-secret",
		Respond: func(llmfake.Request) llmfake.Reply {
			return llmfake.Reply{Content: `{"reason":"fine","pass":true,"score":1}`}
		}})
	keys, err := ParseJudgeKeys(repoA+"=JUDGE_KEY", fakeEnv{"JUDGE_KEY": "judge-secret"}.get)
	if err != nil {
		t.Fatal(err)
	}
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: rubricConfig(base)}, Workers: 1, Queue: 1,
		Judge: NewJudge(keys, nil)})
	var spans []*tracepb.Span
	for i := range 20 {
		spans = append(spans, serverSpan(i, 1, "summarize", "canary"), chatSpan(i, 2, 1, `{"s":1}`))
	}
	if r := postProto(t, ts.url, tokenA, export("", spans...)); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := waitMetrics(t, ts.url, "grading to finish", func(m map[string]float64) bool {
		return m[samplesKey(repoA, "summarize", "canary")] == 20 &&
			m[droppedKey(repoA, "summarize", "canary")]+m[evalsKey(repoA, "summarize", "canary", "polite", "pass")] == 20
	})
	dropped := m[droppedKey(repoA, "summarize", "canary")]
	t.Logf("20 samples: %g dropped, %g graded", dropped, 20-dropped)
	if dropped < 18 {
		t.Errorf("dropped %g with one worker and one queue slot, want at least 18", dropped)
	}
	if got := m[evalsKey(repoA, "summarize", "canary", "is-json", "pass")]; got != 20-dropped {
		t.Errorf("is-json graded %g, want %g (each graded sample runs every assertion)", got, 20-dropped)
	}
	if n := fake.Requests.Load(); float64(n) != 20-dropped || len(fake.Problems()) > 0 {
		t.Errorf("judge calls %d (problems %v), want one per graded sample", n, fake.Problems())
	}
}

// TestJudgeKeyOnlyWhenGranted: without a grant in PROMPTGATE_JUDGE_KEYS the
// repository's provider is called without serve's key, so the keyed judge
// refuses and the rubric counts as an error.
func TestJudgeKeyOnlyWhenGranted(t *testing.T) {
	t.Parallel()
	_, base := judgeServer(t, llmfake.Options{APIKey: "judge-secret",
		Respond: func(llmfake.Request) llmfake.Reply { return llmfake.Reply{Content: `{"pass":true,"score":1}`} }})
	keys, _ := ParseJudgeKeys(repoB+"=JUDGE_KEY", fakeEnv{"JUDGE_KEY": "judge-secret"}.get)
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: rubricConfig(base)},
		Judge: NewJudge(keys, nil)})
	postProto(t, ts.url, tokenA, export("", serverSpan(1, 1, "summarize", "stable"), chatSpan(1, 2, 1, "{}")))
	waitMetrics(t, ts.url, "the rubric to error", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "polite", "error")] == 1
	})
}

// TestProductionContentStaysInside: the users' questions and the answers
// appear in no log line and no metric, whatever the assertions say of them.
func TestProductionContentStaysInside(t *testing.T) {
	t.Parallel()
	_, base := judgeServer(t, llmfake.Options{Respond: func(r llmfake.Request) llmfake.Reply {
		last := r.Messages[len(r.Messages)-1].Text()
		if strings.Contains(last, "JUDGE-BREAKS") {
			return llmfake.Reply{Content: "not json at all: " + last} // a reply quoting the answer
		}
		return llmfake.Reply{Content: `{"reason":"the answer says ` + strings.NewReplacer(`"`, "", "\n", " ").Replace(last) + `","pass":false,"score":0}`}
	}})
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: rubricConfig(base)},
		Judge: NewJudge(nil, nil)})
	secrets := []string{"SECRET-ANSWER-one", "SECRET-ANSWER-two JUDGE-BREAKS"}
	var spans []*tracepb.Span
	for i, s := range secrets {
		spans = append(spans, serverSpan(i, 1, "summarize", "canary"), chatSpan(i, 2, 1, s))
	}
	// An unjoined chat and an unknown flag, which are ignored, not graded.
	spans = append(spans, chatSpan(7, 2, 1, "SECRET-ANSWER-orphan"), serverSpan(8, 1, "nope", "canary"), chatSpan(8, 2, 1, "SECRET-ANSWER-x"))
	postProto(t, ts.url, tokenA, export("", spans...))
	m := waitMetrics(t, ts.url, "grading", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "canary", "polite", "fail")]+m[evalsKey(repoA, "summarize", "canary", "polite", "error")] == 2
	})
	_, raw := scrape(t, ts.url)
	for _, where := range []struct{ name, text string }{{"logs", ts.logs.String()}, {"metrics", raw}} {
		if strings.Contains(where.text, "SECRET") {
			t.Errorf("production content in the %s:\n%s", where.name, where.text)
		}
	}
	if m[evalsKey(repoA, "summarize", "canary", "polite", "error")] > 0 && !strings.Contains(ts.logs.String(), "online assertion could not run") {
		t.Errorf("the judge error was not logged at all:\n%s", ts.logs.String())
	}
}

// TestCostAndLatencyFromTheSpan: cost is priced from the span's model and
// gen_ai.usage token counts with the repository's pricing; latency is the
// chat span's duration (250 ms here).
func TestCostAndLatencyFromTheSpan(t *testing.T) {
	t.Parallel()
	cfg := `rollout:
  flags_file: flags/prompts.flagd.json
pricing:
  my-finetune: {input: 1000, output: 1000}
online:
  summarize:
    assert:
      - type: cost
        threshold: 0.3
      - type: latency
        threshold: 200
      - type: not-latency
        threshold: 200
`
	ts := startReceiver(t, Options{Loader: &fakeLoader{cfg: cfg}})
	cheap, dear, unpriced := chatSpan(1, 2, 1, "a"), chatSpan(2, 2, 1, "b"), chatSpan(3, 2, 1, "c")
	for _, s := range []*tracepb.Span{cheap, dear} {
		s.Attributes = append(s.Attributes, intKV("gen_ai.usage.input_tokens", 100), intKV("gen_ai.usage.output_tokens", 300))
	}
	dear.Attributes = append(dear.Attributes, str("gen_ai.response.model", "my-finetune")) // 400 tokens at $1000/M: $0.40
	postProto(t, ts.url, tokenA, export("", serverSpan(1, 1, "summarize", "stable"), cheap,
		serverSpan(2, 1, "summarize", "stable"), dear, serverSpan(3, 1, "summarize", "stable"), unpriced))
	m := waitMetrics(t, ts.url, "grading", func(m map[string]float64) bool {
		return m[evalsKey(repoA, "summarize", "stable", "latency", "fail")] == 3
	})
	want := map[string]float64{
		evalsKey(repoA, "summarize", "stable", "cost", "pass"):        1, // gpt-4.1-mini's fraction of a cent
		evalsKey(repoA, "summarize", "stable", "cost", "fail"):        2, // my-finetune's $0.40, and an unknown cost
		evalsKey(repoA, "summarize", "stable", "not-latency", "pass"): 3,
	}
	for k, w := range want {
		if m[k] != w {
			t.Errorf("%s = %g, want %g", k, m[k], w)
		}
	}
}

func intKV(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}
