package promptfoo_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// toolConfig is a promptfoo config whose provider offers a tool and whose
// tests come from a CSV with tool assertions in its __expected columns.
var toolConfig = fstest.MapFS{
	"promptfooconfig.yaml": {Data: []byte(`prompts: ["Weather question: {{q}}"]
providers:
  - id: openai:chat:gpt-4.1-mini
    config:
      tool_choice: auto
      tools:
        - type: function
          function:
            name: get_weather
            description: Current weather in a city.
            parameters:
              type: object
              properties: {city: {type: string}, days: {type: integer}}
              required: [city]
tests: file://tests.csv
`)},
	"tests.csv": {Data: []byte(`q,__expected1,__expected2,__expected3,__expected4,__description
Paris today?,is-valid-openai-tools-call,trajectory:tool-used:get_weather,"trajectory:tool-args-match:{""name"":""get_weather"",""args"":{""city"":""Paris""}}",tool-call-f1:get_weather,paris
Lyon for two days?,is-valid-openai-tools-call,not-trajectory:tool-used:get_weather,"trajectory:step-count:{""max"": 1}",,lyon
Just say hi,not-trajectory:tool-used:get_weather,icontains:hello,,,no tool
`)},
}

// TestCSVToolAssertions runs a promptfoo CSV's tool and trajectory
// assertions unchanged against a model that calls the tool: each cell is
// read as its type, and each grades the calls.
func TestCSVToolAssertions(t *testing.T) {
	t.Parallel()
	fake := llmfake.New(llmfake.Options{APIKey: "k", Respond: func(r llmfake.Request) llmfake.Reply {
		q := r.Messages[len(r.Messages)-1].Text()
		switch {
		case len(r.Tools) != 1 || r.Tools[0].Function.Name != "get_weather":
			t.Errorf("request offered %+v, want get_weather", r.Tools)
		case strings.Contains(q, "Paris"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`}}}
		case strings.Contains(q, "Lyon"):
			return llmfake.Reply{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Lyon","days":"two"}`}}}
		}
		return llmfake.Reply{Content: "Hello!"}
	}})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)

	proj, err := project.LoadWith(toolConfig, "", []string{"promptfooconfig.yaml"})
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	client, err := llm.New(llm.Options{Providers: []config.Provider{{Name: "default", BaseURL: srv.URL + "/v1", APIKey: "k"}}, Mode: llm.CacheOff})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := (&eval.Runner{Prompts: proj.Prompts, Client: client, Concurrency: 2}).Run(context.Background(), proj.Promptfoo)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if p := fake.Problems(); len(p) > 0 {
		t.Fatalf("fake refused a request: %s", p[0])
	}
	got := map[string]eval.CaseResult{}
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			got[c.Description] = c
		}
	}
	if c := got["paris"]; c.Status != eval.StatusPass || c.Score != 1 {
		t.Errorf("paris: %s, score %g (%s)", c.Status, c.Score, c.Reason)
	}
	// Lyon's call sends days as a string: is-valid-openai-tools-call fails
	// first, naming the path; the negated tool-used fails too.
	if c := got["lyon"]; c.Status != eval.StatusFail || !strings.Contains(c.Reason, "days: got string, want integer") {
		t.Errorf("lyon: %s (%s)", c.Status, c.Reason)
	}
	if c := got["no tool"]; c.Status != eval.StatusPass {
		t.Errorf("no tool: %s (%s)", c.Status, c.Reason)
	}
}

// TestCSVToolAssertionRefused: a trajectory value promptfoo cannot read
// from a cell either (text where an object belongs) is refused at load,
// naming the CSV and its row.
func TestCSVToolAssertionRefused(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"promptfooconfig.yaml": {Data: []byte("prompts: [\"{{q}}\"]\nproviders: [openai:chat:gpt-4.1-mini]\ntests: file://t.csv\n")},
		"t.csv":                {Data: []byte("q,__expected\nhi,trajectory:tool-args-match:get_weather\n")},
	}
	_, err := project.LoadWith(fsys, "", []string{"promptfooconfig.yaml"})
	if err == nil || !strings.Contains(err.Error(), "t.csv:2") || !strings.Contains(err.Error(), "value must be {name, args}") {
		t.Errorf("error = %v, want t.csv:2 and the value's shape", err)
	}
}
