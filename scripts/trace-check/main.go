// Command trace-check proves the --otlp export against a real Jaeger. It runs
// `promptgate eval` in-process on a generated suite of N cases against a local
// chat-completions fake, alternately without and with --otlp, then reads the
// traces back through Jaeger's query API and checks that every traced run
// arrived as one trace holding N "chat {model}" spans with the GenAI
// attributes. It prints the wall-time ratio with/without export (bar: 1.05).
// Then it runs a tool-using suite once with --otlp and checks its trace: a
// chat span per call of each case's tool loop, with its turn, and an
// execute_tool span per tool call under the chat that asked for it, with the
// GenAI tool attributes (tools.go). It exits 1 when a check fails.
// scripts/test-traces.sh starts Jaeger and runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/cli"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// apiKey is the key eval sends and the fake model requires.
const apiKey = "trace-check-key"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trace-check", flag.ContinueOnError)
	otlp := fs.String("otlp", "http://127.0.0.1:4318", "Jaeger's OTLP/HTTP base `URL`")
	query := fs.String("query", "http://127.0.0.1:16686", "Jaeger's query `URL`")
	cases := fs.Int("cases", 1000, "cases in the generated suite")
	runs := fs.Int("runs", 3, "runs with and without --otlp each")
	latency := fs.Duration("latency", 100*time.Millisecond, "fake model latency")
	toolCases := fs.Int("tool-cases", 10, "get_weather cases in the tool-using run (two more cases are added)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := waitReady(*query + "/api/services"); err != nil {
		fmt.Fprintln(stderr, "trace-check:", err)
		return 1
	}
	fake, model := fakeModel(*latency)
	defer model.Close()
	dir, err := os.MkdirTemp("", "trace-check-")
	if err != nil {
		fmt.Fprintln(stderr, "trace-check:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := writeProject(dir, *cases); err != nil {
		fmt.Fprintln(stderr, "trace-check:", err)
		return 1
	}
	env := map[string]string{"OPENAI_API_KEY": apiKey, "OPENAI_BASE_URL": model.URL + "/v1"}
	getenv := func(k string) string { return env[k] }
	evalIn := func(dir string, extra ...string) (time.Duration, error) {
		var out, errb bytes.Buffer
		args := append([]string{"eval", "-C", dir, "--quiet", "--no-cache", "--concurrency", "50", "--format", "json"}, extra...)
		start := time.Now()
		code := cli.Main(context.Background(), args, getenv, &out, &errb)
		d := time.Since(start)
		if code != cli.ExitOK {
			return d, fmt.Errorf("eval exit %d: %s", code, errb.String())
		}
		if errb.Len() > 0 {
			return d, fmt.Errorf("eval wrote to stderr: %s", errb.String())
		}
		if p := fake.Problems(); len(p) > 0 {
			return d, fmt.Errorf("the fake model refused %d requests, first: %s", len(p), p[0])
		}
		return d, nil
	}
	evalOnce := func(extra ...string) (time.Duration, error) { return evalIn(dir, extra...) }
	var plain, traced []time.Duration
	for i := 0; i < *runs; i++ {
		d, err := evalOnce()
		if err != nil {
			fmt.Fprintln(stderr, "trace-check:", err)
			return 1
		}
		plain = append(plain, d)
		d, err = evalOnce("--otlp", *otlp)
		if err != nil {
			fmt.Fprintln(stderr, "trace-check:", err)
			return 1
		}
		traced = append(traced, d)
	}
	mp, mt := median(plain), median(traced)
	fmt.Fprintf(stdout, "eval of %d cases at C=50, L=%v: median %v without --otlp, %v with (ratio %.3f; bar 1.05) over %d runs each\n",
		*cases, *latency, mp.Round(time.Millisecond), mt.Round(time.Millisecond), float64(mt)/float64(mp), *runs)

	traces, err := fetchTraces(*query, *runs, *cases)
	if err != nil {
		fmt.Fprintln(stderr, "trace-check:", err)
		return 1
	}
	failed := false
	for _, tr := range traces {
		if problems := checkTrace(tr, *cases); len(problems) > 0 {
			failed = true
			for _, p := range problems {
				fmt.Fprintf(stderr, "trace %s: %s\n", tr.TraceID, p)
			}
		} else {
			fmt.Fprintf(stdout, "trace %s: 1 run span, 1 suite span, %d chat spans with the GenAI attributes\n", tr.TraceID, *cases)
		}
	}
	if failed {
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d traced runs arrived in Jaeger as %d traces of %d calls each\n", *runs, len(traces), *cases)

	// A tool-using run: every call of each case's tool loop is a chat span
	// with its turn, each tool call an execute_tool span under it.
	toolDir := filepath.Join(dir, "tool-project")
	if err := writeToolProject(toolDir, *toolCases); err != nil {
		fmt.Fprintln(stderr, "trace-check:", err)
		return 1
	}
	if _, err := evalIn(toolDir, "--otlp", *otlp); err != nil {
		fmt.Fprintln(stderr, "trace-check: tool-using run:", err)
		return 1
	}
	tr, err := fetchToolTrace(*query, *toolCases)
	if err == nil {
		err = checkToolTrace(tr, *toolCases)
	}
	if err != nil {
		fmt.Fprintln(stderr, "trace-check: tool-using run:", err)
		return 1
	}
	chats, tools := toolSpanCounts(*toolCases)
	fmt.Fprintf(stdout, "ok: tool-using run arrived as trace %s: %d chat spans with their turns and %d execute_tool spans with the GenAI tool attributes over %d cases\n",
		tr.TraceID, chats, tools, *toolCases+2)
	return 0
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func waitReady(u string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jaeger query at %s not ready after 60s (last error: %v)", u, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fakeModel is the test kit's chat-completions fake, answering each case
// after latency like a model that always answers correctly: it echoes the
// last message (the case number).
func fakeModel(latency time.Duration) (*llmfake.Server, *httptest.Server) {
	fake := llmfake.New(llmfake.Options{APIKey: apiKey, Latency: latency, Respond: answer})
	return fake, httptest.NewServer(fake)
}

// answer is the model's reply to one request.
func answer(req llmfake.Request) llmfake.Reply {
	if len(req.Tools) > 0 {
		return toolAnswer(req)
	}
	return llmfake.Reply{Content: "echo " + req.Messages[len(req.Messages)-1].Text(),
		Usage: &llm.Usage{InputTokens: 12, OutputTokens: 3}}
}

func writeProject(dir string, n int) error {
	prompt := "---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    n: integer\n---\n{{role \"user\"}}\ncase {{n}}\n"
	var suite strings.Builder
	suite.WriteString("prompt: echo\nthreshold: 1\ntests:\n")
	for i := range n {
		fmt.Fprintf(&suite, "  - description: case %d\n    vars: {n: %d}\n    assert: [{type: contains, value: \"case %d\"}]\n", i, i, i)
	}
	return writeFiles(dir, map[string]string{"prompts/echo.prompt": prompt, "evals/echo.yaml": suite.String()})
}

// writeFiles writes files (path → content) under dir.
func writeFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Jaeger's query API (the JSON the UI reads).
type jaegerTrace struct {
	TraceID string       `json:"traceID"`
	Spans   []jaegerSpan `json:"spans"`
}

// jaegerSpan is one span of a trace as Jaeger's query API returns it.
type jaegerSpan struct {
	SpanID        string `json:"spanID"`
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	Tags []struct {
		Key   string `json:"key"`
		Value any    `json:"value"`
	} `json:"tags"`
}

// tags maps the span's tag keys to their values.
func (s jaegerSpan) tags() map[string]any {
	out := map[string]any{}
	for _, t := range s.Tags {
		out[t.Key] = t.Value
	}
	return out
}

// parent is the span's parent span id, "" for a root.
func (s jaegerSpan) parent() string {
	if len(s.References) == 0 {
		return ""
	}
	return s.References[0].SpanID
}

// withSpan keeps the traces holding a span named op.
func withSpan(traces []jaegerTrace, op string) []jaegerTrace {
	var out []jaegerTrace
	for _, tr := range traces {
		if slices.ContainsFunc(tr.Spans, func(s jaegerSpan) bool { return s.OperationName == op }) {
			out = append(out, tr)
		}
	}
	return out
}

// fetchTraces polls Jaeger until it holds want traces of promptgate eval runs
// whose span counts have settled at cases+2, or a minute has passed.
func fetchTraces(query string, want, cases int) ([]jaegerTrace, error) {
	return pollTraces(query, "suite evals/echo.yaml", want, cases+2)
}

// pollTraces polls Jaeger until it holds exactly want traces of promptgate
// eval runs with a span named suite, each with spans spans, or a minute has
// passed.
func pollTraces(query, suite string, want, spans int) ([]jaegerTrace, error) {
	u := query + "/api/traces?" + url.Values{"service": {"promptgate"}, "operation": {"promptgate eval"},
		"limit": {fmt.Sprint(want + 50)}, "lookback": {"1h"}}.Encode()
	deadline := time.Now().Add(60 * time.Second)
	var last []jaegerTrace
	for {
		resp, err := http.Get(u)
		if err == nil {
			var body struct {
				Data []jaegerTrace `json:"data"`
			}
			err = json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			last = withSpan(body.Data, suite)
			complete := len(last) == want
			for _, tr := range last {
				complete = complete && len(tr.Spans) == spans
			}
			if err == nil && complete {
				return last, nil
			}
		}
		if time.Now().After(deadline) {
			counts := []int{}
			for _, tr := range last {
				counts = append(counts, len(tr.Spans))
			}
			return last, fmt.Errorf("after 60s Jaeger holds %d traces with %q (want %d) with span counts %v (want %d each); last error %v",
				len(last), suite, want, counts, spans, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

var wantTags = []string{"gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model", "gen_ai.response.model",
	"gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons", "gen_ai.prompt.name",
	"gen_ai.prompt.version", "promptgate.case", "promptgate.verdict", "promptgate.cost_usd", "promptgate.cache_hit"}

func checkTrace(tr jaegerTrace, cases int) []string {
	var problems []string
	var runID, suiteID string
	chats := 0
	for _, s := range tr.Spans {
		switch {
		case s.OperationName == "promptgate eval":
			runID = s.SpanID
		case strings.HasPrefix(s.OperationName, "suite "):
			suiteID = s.SpanID
		}
	}
	for _, s := range tr.Spans {
		if s.OperationName != "chat gpt-4.1-mini" {
			continue
		}
		chats++
		if len(s.References) != 1 || s.References[0].SpanID != suiteID {
			problems = append(problems, fmt.Sprintf("chat span %s is not a child of the suite span", s.SpanID))
		}
		tags := s.tags()
		for _, k := range wantTags {
			if _, ok := tags[k]; !ok {
				problems = append(problems, fmt.Sprintf("chat span %s lacks %s", s.SpanID, k))
			}
		}
		if tags["promptgate.verdict"] != "pass" || tags["gen_ai.operation.name"] != "chat" {
			problems = append(problems, fmt.Sprintf("chat span %s: verdict %v, operation %v", s.SpanID, tags["promptgate.verdict"], tags["gen_ai.operation.name"]))
		}
		if len(problems) > 10 {
			return append(problems, "…")
		}
	}
	if runID == "" || suiteID == "" {
		problems = append(problems, "no run span or no suite span")
	}
	if chats != cases {
		problems = append(problems, fmt.Sprintf("%d chat spans, want %d", chats, cases))
	}
	return problems
}
