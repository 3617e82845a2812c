package main

import (
	"net/http/httptest"
	"strings"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// judgePrefix starts the model name an llm-rubric grader is called with; the
// rest is the case id, so the server knows which canned verdict to send.
const judgePrefix = "judge-"

// dummyKey is the API key promptfoo is given and the fake requires.
const dummyKey = "oracle-dummy-key"

// newModel starts the test kit's chat-completions fake on 127.0.0.1,
// answering each request with respond. A request respond refuses is listed
// in the fake's Problems.
func newModel(respond func(llmfake.Request) llmfake.Reply) (*llmfake.Server, *httptest.Server) {
	fake := llmfake.New(llmfake.Options{APIKey: dummyKey, Respond: respond})
	return fake, httptest.NewServer(fake)
}

// fixed is an answer with the usage every answer of the oracle reports, so
// promptfoo's cost of a case does not depend on its text.
func fixed(content string) llmfake.Reply {
	return llmfake.Reply{Content: content, Usage: &llm.Usage{InputTokens: 10, OutputTokens: 20}}
}

// echoCases answers a request whose last message is a case id with that
// case's output, and a grader request (model judge-<id>) with the case's
// judge reply; anything else is refused.
func echoCases(cases []Case) func(llmfake.Request) llmfake.Reply {
	byID := map[string]Case{}
	for _, c := range cases {
		byID[c.ID] = c
	}
	return func(r llmfake.Request) llmfake.Reply {
		if id, ok := strings.CutPrefix(r.Model, judgePrefix); ok {
			c, found := byID[id]
			if !found {
				return llmfake.Reply{Refuse: "judge for unknown case " + id}
			}
			return fixed(c.Judge)
		}
		last := r.Messages[len(r.Messages)-1].Text()
		c, found := byID[strings.TrimSpace(last)]
		if !found {
			return llmfake.Reply{Refuse: "unknown case " + last}
		}
		return fixed(c.Output)
	}
}

// followRules answers with the output of the first rule whose strings all
// appear in the request's messages, and with nothing when none matches.
func followRules(rules []answerRule) func(llmfake.Request) llmfake.Reply {
	return func(r llmfake.Request) llmfake.Reply {
		var all strings.Builder
		for _, m := range r.Messages {
			all.WriteString(m.Text() + "\n")
		}
	rules:
		for _, rule := range rules {
			for _, s := range rule.When {
				if !strings.Contains(all.String(), s) {
					continue rules
				}
			}
			return fixed(rule.Output)
		}
		return fixed("")
	}
}
