package assert

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/llm"
)

// fakeJudge answers with a canned reply and records the requests it gets.
type fakeJudge struct {
	reply string
	err   error
	mu    sync.Mutex
	got   []llm.Request
}

func (j *fakeJudge) Complete(_ context.Context, req llm.Request) (llm.Response, error) {
	j.mu.Lock()
	j.got = append(j.got, req)
	j.mu.Unlock()
	if j.err != nil {
		return llm.Response{}, j.err
	}
	return llm.Response{Content: j.reply}, nil
}

var _ llm.Completer = (*fakeJudge)(nil)

func TestRubricRequest(t *testing.T) {
	t.Parallel()
	j := &fakeJudge{reply: `{"reason": "polite", "pass": true, "score": 0.9}`}
	a := mustCompile(t, Spec{Type: "llm-rubric", Value: "Is polite to {{name}}"})
	g, err := Evaluate(context.Background(), []Assertion{a}, nil,
		Output{Text: "Hello Bob, happy to help.", Vars: map[string]any{"name": "Bob"}},
		Env{Judge: j, JudgeModel: "gpt-4.1-mini"})
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	if diff := cmp.Diff([]Result{{Type: "llm-rubric", Pass: true, Score: 0.9, Reason: "polite"}}, g.Results); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	if len(j.got) != 1 {
		t.Fatalf("judge got %d requests, want 1", len(j.got))
	}
	req := j.got[0]
	if req.Model != "gpt-4.1-mini" || !req.Params.JSONMode || req.Params.Temperature == nil || *req.Params.Temperature != 0 {
		t.Errorf("request model/params = %q %+v, want gpt-4.1-mini, JSON mode, temperature 0", req.Model, req.Params)
	}
	if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
		t.Fatalf("messages = %+v, want system then user", req.Messages)
	}
	user := req.Messages[1].Content
	for _, want := range []string{"<Output>\nHello Bob, happy to help.\n</Output>", "<Rubric>\nIs polite to Bob\n</Rubric>"} {
		if !strings.Contains(user, want) {
			t.Errorf("user message lacks %q:\n%s", want, user)
		}
	}
	if !strings.Contains(req.Messages[0].Content, `"pass"`) {
		t.Errorf("system message does not ask for the verdict shape:\n%s", req.Messages[0].Content)
	}
}

func TestRubricVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		spec  Spec
		reply string
		want  Result
	}{
		{"fail", Spec{Type: "llm-rubric", Value: "r"}, `{"reason":"rude","pass":false,"score":0.1}`,
			Result{Type: "llm-rubric", Pass: false, Score: 0.1, Reason: `Expected output to satisfy the rubric "r" (judge: rude)`}},
		{"threshold raises the bar", Spec{Type: "llm-rubric", Value: "r", Threshold: f(0.8)}, `{"reason":"ok","pass":true,"score":0.7}`,
			Result{Type: "llm-rubric", Pass: false, Score: 0.7, Reason: `Expected output to satisfy the rubric "r" (judge: score 0.70 below threshold 0.8: ok)`}},
		{"pass without score", Spec{Type: "llm-rubric", Value: "r"}, `{"reason":"fine","pass":true}`,
			Result{Type: "llm-rubric", Pass: true, Score: 1, Reason: "fine"}},
		{"fenced reply", Spec{Type: "llm-rubric", Value: "r"}, "Sure:\n```json\n{\"reason\":\"x\",\"pass\":true,\"score\":1}\n```",
			Result{Type: "llm-rubric", Pass: true, Score: 1, Reason: "x"}},
		{"score clamped", Spec{Type: "llm-rubric", Value: "r"}, `{"reason":"x","pass":true,"score":7}`,
			Result{Type: "llm-rubric", Pass: true, Score: 1, Reason: "x"}},
		{"negated", Spec{Type: "not-llm-rubric", Value: "mentions competitors"}, `{"reason":"no","pass":false,"score":0.2}`,
			Result{Type: "not-llm-rubric", Pass: true, Score: 0.8, Reason: "no"}},
		{"negated fails", Spec{Type: "not-llm-rubric", Value: "mentions competitors"}, `{"reason":"names Acme","pass":true,"score":0.75}`,
			Result{Type: "not-llm-rubric", Pass: false, Score: 0.25, Reason: `Expected output not to satisfy the rubric "mentions competitors" (judge: names Acme)`}},
		{"provider overrides judge", Spec{Type: "llm-rubric", Value: "r", Provider: "local/judge"}, `{"pass":true,"score":1}`,
			Result{Type: "llm-rubric", Pass: true, Score: 1, Reason: "judge gave no reason"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := &fakeJudge{reply: tt.reply}
			g, err := Evaluate(context.Background(), []Assertion{mustCompile(t, tt.spec)}, nil, Output{Text: "out"}, Env{Judge: j, JudgeModel: "default-judge"})
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if diff := cmp.Diff(tt.want, g.Results[0]); diff != "" {
				t.Errorf("result mismatch (-want +got):\n%s", diff)
			}
			wantModel := "default-judge"
			if tt.spec.Provider != "" {
				wantModel = tt.spec.Provider
			}
			if j.got[0].Model != wantModel {
				t.Errorf("judge model = %q, want %q", j.got[0].Model, wantModel)
			}
		})
	}
}

func TestRubricErrors(t *testing.T) {
	t.Parallel()
	a := mustCompile(t, Spec{Type: "llm-rubric", Value: "r"})
	tests := []struct {
		name string
		env  Env
		want string
	}{
		{"judge call fails", Env{Judge: &fakeJudge{err: errors.New("503 after retries")}, JudgeModel: "j"}, "judge call: 503 after retries"},
		{"no judge model", Env{Judge: &fakeJudge{}}, "needs a judge model"},
		{"no judge", Env{JudgeModel: "j"}, "needs a judge model"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Evaluate error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestRubricReplyWithoutVerdict: a judge reply with no JSON object fails
// the assertion, negated too, with score 0, as in promptfoo.
func TestRubricReplyWithoutVerdict(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"llm-rubric", "not-llm-rubric"} {
		a := mustCompile(t, Spec{Type: typ, Value: "r"})
		g, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, Env{Judge: &fakeJudge{reply: "I think it passes"}, JudgeModel: "j"})
		if err != nil {
			t.Fatalf("%s: Evaluate: %v", typ, err)
		}
		want := Result{Type: typ, Reason: `Could not extract JSON from llm-rubric response: no JSON object in "I think it passes"`}
		if diff := cmp.Diff(want, g.Results[0]); diff != "" || g.Pass {
			t.Errorf("%s: pass=%v, result (-want +got):\n%s", typ, g.Pass, diff)
		}
	}
}

// TestParseVerdictLenient: judge replies are read as promptfoo reads them.
func TestParseVerdictLenient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		reply string
		want  rubricVerdict
	}{
		{`{"reason": "a", "pass": "yes", "score": "0.9"}`, rubricVerdict{Reason: "a", Pass: true, Score: 0.9}},
		{`{"reason": "b", "pass": "false", "score": 0.1}`, rubricVerdict{Reason: "b", Pass: false, Score: 0.1}},
		{`[{"reason": "c", "pass": true, "score": 1}]`, rubricVerdict{Reason: "c", Pass: true, Score: 1}},
		{"Sure!\n```json\n{reason: 'd', pass: true,}\n```", rubricVerdict{Reason: "d", Pass: true, Score: 1}},
		{`{"reason": "e", "pass": "no"}`, rubricVerdict{Reason: "e", Pass: false, Score: 0}},
		{`{"reason": "f", "score": "n/a", "pass": true}`, rubricVerdict{Reason: "f", Pass: true, Score: 1}},
		{`{"pass": true, "score": null}`, rubricVerdict{Pass: true, Score: 0}},
		{`{"foo": 1}`, rubricVerdict{Pass: true, Score: 1}},
	}
	for _, tt := range tests {
		got, err := parseVerdict(tt.reply)
		if err != nil {
			t.Errorf("parseVerdict(%q): %v", tt.reply, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("parseVerdict(%q) (-want +got):\n%s", tt.reply, diff)
		}
	}
}
