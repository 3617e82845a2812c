package main

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/assert"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// answer is one hand-written reply in testdata/fixture/answers.yaml.
type answer struct {
	Reply     string
	Judge     string
	Usage     *llm.Usage
	LatencyMS int64
	// Turns script a tool-using case turn by turn, instead of Reply.
	Turns []turn
}

// usageYAML lets answers.yaml spell usage the way the cache does.
type usageYAML struct {
	InputTokens  int `yaml:"input_tokens"`
	OutputTokens int `yaml:"output_tokens"`
}

// rawAnswers is answers.yaml: suite file → case description → answer.
type rawAnswers map[string]map[string]struct {
	Reply     string     `yaml:"reply"`
	Judge     string     `yaml:"judge"`
	Usage     *usageYAML `yaml:"usage"`
	LatencyMS int64      `yaml:"latency_ms"`
	Turns     []turnYAML `yaml:"turns"`
}

func readAnswers(path string) (map[string]map[string]answer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read answers: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var raw rawAnswers
	if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	out := map[string]map[string]answer{}
	for suitePath, cases := range raw {
		out[suitePath] = map[string]answer{}
		for desc, a := range cases {
			ans := answer{Reply: a.Reply, Judge: a.Judge, LatencyMS: a.LatencyMS}
			ans.Usage = a.Usage.usage()
			if ans.Turns, err = readTurns(suitePath, desc, a.Turns); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if (a.Reply == "") == (len(ans.Turns) == 0) {
				return nil, fmt.Errorf("%s: %s: %q needs a reply or, for a tool-using case, turns (not both)", path, suitePath, desc)
			}
			out[suitePath][desc] = ans
		}
	}
	return out, nil
}

// reply is what the fake server sends back for one request.
type reply struct {
	// answer is the message and its usage.
	answer    llmfake.Reply
	latencyMS int64
	// what names the case, for error messages and the summary.
	what string
	// turns, for a tool-using case, answer the tool loop's requests turn
	// by turn instead of answer (see turns.go).
	turns []turn
}

// newReply is content with its usage: usage when given, else the estimate for
// msgs; latencyMS when non-zero, else the estimate for model.
func newReply(what, model string, msgs []llm.Message, content string, usage *llm.Usage, latencyMS int64) reply {
	u := estimateUsage(msgs, content)
	if usage != nil {
		u = *usage
	}
	if latencyMS == 0 {
		latencyMS = estimateLatency(model, u.OutputTokens, content)
	}
	return reply{answer: llmfake.Reply{Content: content, Usage: &u}, latencyMS: latencyMS, what: what}
}

// quoteStart is the start of s, quoted, for an error message.
func quoteStart(s string) string { return fmt.Sprintf("%.120q", s) }

// judgeReply answers an llm-rubric judge request: the request must carry both
// the rubric and the case's output, which the judge prompt quotes.
type judgeReply struct {
	rubric, output string
	reply
}

// table is every reply the fake server can give, built from the suites and the
// answers before the server starts, so matching a request is a lookup.
type table struct {
	byRequest map[string]reply
	judges    []judgeReply
}

// requestKey is the fingerprint the server matches a chat request on: the model
// name sent and the rendered messages. The prompts in this repo use bare model
// names, so the model the runner asks for is the model the server sees.
func requestKey(model string, msgs []llm.Message) string {
	h := sha256.New()
	io.WriteString(h, model)
	for _, m := range msgs {
		fmt.Fprintf(h, "\x00%s\x00%s", m.Role, m.Content)
		for _, c := range m.ToolCalls {
			fmt.Fprintf(h, "\x01%s\x00%s\x00%s", c.ID, c.Name, c.Arguments)
		}
		if m.ToolCallID != "" {
			fmt.Fprintf(h, "\x02%s", m.ToolCallID)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// buildTable renders every case of every suite with promptgate's own renderer
// and pairs it with its hand-written answer. Every case needs an answer, every
// llm-rubric case a judge reply, and every answer a case.
func buildTable(proj *project.Project, answers map[string]map[string]answer, judgeModel string) (*table, error) {
	t := &table{byRequest: map[string]reply{}}
	var problems []string
	used := map[string]bool{}
	for _, s := range proj.Suites {
		p, ok := proj.Prompts.Get(s.Prompt, s.Variant)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: prompt %s (variant %q) not found", s.Path, s.Prompt, s.Variant))
			continue
		}
		model := p.Model
		if model == "" {
			model = proj.Config.Defaults.Model
		}
		seen := map[string]bool{}
		for _, c := range s.Tests {
			what := s.Path + ": " + c.Name()
			if seen[c.Name()] {
				problems = append(problems, what+": two cases share this description; answers are keyed by it")
				continue
			}
			seen[c.Name()] = true
			a, ok := answers[s.Path][c.Name()]
			if !ok {
				problems = append(problems, what+": no answer in answers.yaml")
				continue
			}
			used[s.Path+"\x00"+c.Name()] = true
			msgs, err := proj.Prompts.Render(p, c.Vars)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", what, err))
				continue
			}
			r := newReply(what, model, msgs, a.Reply, a.Usage, a.LatencyMS)
			r.turns = a.Turns
			key := requestKey(model, msgs)
			if prev, dup := t.byRequest[key]; dup && (prev.answer.Content != r.answer.Content || prev.turns != nil || r.turns != nil) {
				problems = append(problems, fmt.Sprintf("%s: renders the same request as %s but has a different answer", what, prev.what))
				continue
			}
			t.byRequest[key] = r
			needJudge := false
			for _, as := range c.Asserts {
				if !as.Judged() {
					continue
				}
				needJudge = true
				rubric := judgedText(as)
				if strings.Contains(rubric, "{{") {
					problems = append(problems, what+": the recorder matches judge requests on the rubric or goal text, so it must not use {{vars}}")
				}
				judge := as.Provider
				if judge == "" {
					judge = cmp.Or(s.Judge, judgeModel)
				}
				final := a.finalReply()
				judgeMsgs := []llm.Message{{Role: "system", Content: strings.Repeat("x", 560)}, {Role: "user", Content: final + rubric}}
				jr := newReply(what+" (judge)", judge, judgeMsgs, a.Judge, nil, 0)
				t.judges = append(t.judges, judgeReply{rubric: rubric, output: final, reply: jr})
			}
			if needJudge && a.Judge == "" {
				problems = append(problems, what+": has an llm-rubric or goal-success assertion but its answer has no judge reply")
			}
			if !needJudge && a.Judge != "" {
				problems = append(problems, what+": has a judge reply but no llm-rubric or goal-success assertion")
			}
		}
	}
	for suitePath, cases := range answers {
		for desc := range cases {
			if !used[suitePath+"\x00"+desc] {
				problems = append(problems, fmt.Sprintf("answers.yaml: %s: %q matches no case (renamed or removed?)", suitePath, desc))
			}
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return t, nil
}

// judgedText is what a judged assertion's judge request quotes: the rubric,
// or trajectory:goal-success's goal (a string or {goal}).
func judgedText(as assert.Assertion) string {
	if as.Type == "llm-rubric" {
		s, _ := as.Value.(string)
		return s
	}
	if m, ok := as.Value.(map[string]any); ok {
		as.Value = m["goal"]
	}
	s, _ := as.Value.(string)
	return strings.TrimSpace(s)
}

// match finds the reply for a request: a case by its exact rendered messages,
// else a judge request by the rubric and the output it quotes.
func (t *table) match(model string, msgs []llm.Message) (reply, bool) {
	if r, ok := t.byRequest[requestKey(model, msgs)]; ok {
		return r, true
	}
	var all strings.Builder
	for _, m := range msgs {
		all.WriteString(m.Content)
		all.WriteByte('\n')
	}
	text := all.String()
	for _, j := range t.judges {
		if strings.Contains(text, j.rubric) && strings.Contains(text, j.output) {
			return j.reply, true
		}
	}
	return reply{}, false
}

// estimateUsage approximates OpenAI's token counts: about four characters per
// token, plus a few tokens of framing per message.
func estimateUsage(msgs []llm.Message, out string) llm.Usage {
	in := 3
	for _, m := range msgs {
		in += 4 + tokens(m.Content)
	}
	return llm.Usage{InputTokens: in, OutputTokens: max(1, tokens(out))}
}

func tokens(s string) int {
	return (utf8.RuneCountInString(s) + 3) / 4
}

// estimateLatency derives a plausible, deterministic latency: time to first
// token plus time per output token for the model's size, and a little jitter
// taken from a hash of the reply.
func estimateLatency(model string, outTokens int, text string) int64 {
	first, perToken := int64(520), int64(20)
	switch {
	case strings.Contains(model, "nano"):
		first, perToken = 180, 6
	case strings.Contains(model, "mini"):
		first, perToken = 340, 11
	}
	h := fnv.New32a()
	io.WriteString(h, text)
	return first + perToken*int64(outTokens) + int64(h.Sum32()%120)
}
