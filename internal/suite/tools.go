package suite

import (
	"maps"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

// DefaultMaxTurns bounds the tool loop of a suite that sets no max_turns:
// the model calls this many times at most per case.
const DefaultMaxTurns = 5

// toolResults reads `tool_results:`, a map from tool name to the result
// handed back for each call (a list is handed out one item per call).
func (p *parser) toolResults(n *yaml.Node) map[string]any {
	out, lines := p.valueMap(n, "tool_results", "tool_results")
	for name, v := range out {
		if l, ok := v.([]any); ok && len(l) == 0 {
			p.errs = append(p.errs, diag.Errorf(p.path, lines[name], "tool_results %q: an empty list hands out no result; leave the tool out to end the loop at its call", name))
			delete(out, name)
		}
	}
	return out
}

// messages reads a test's `messages:`, the conversation's earlier turns.
func (p *parser) messages(n *yaml.Node) []llm.Message {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "messages must be a list of {role, content}")
		return nil
	}
	var out []llm.Message
	for _, item := range n.Content {
		if !p.mapping(item, "each message") {
			continue
		}
		var m llm.Message
		p.fields(item, []string{"content", "role"}, func(k, v *yaml.Node) {
			switch k.Value {
			case "role":
				m.Role = p.str(v, "role")
				if m.Role != "" && m.Role != "system" && m.Role != "user" && m.Role != "assistant" {
					p.errorf(v, "role must be system, user or assistant, not %q", m.Role)
				}
			case "content":
				m.Content = p.str(v, "content")
			}
		})
		if m.Role == "" {
			p.errorf(item, "each message needs a role")
			continue
		}
		out = append(out, m)
	}
	return out
}

// maxTurns reads the suite's `max_turns`.
func (p *parser) maxTurns(n *yaml.Node) int {
	var x int
	if n.Kind != yaml.ScalarNode || n.Decode(&x) != nil || x < 1 || x > 100 {
		p.errorf(n, "max_turns must be an integer from 1 to 100")
		return DefaultMaxTurns
	}
	return x
}

// mergeResults lays a test's tool results over the suite's, tool by tool.
func mergeResults(suite, test map[string]any) map[string]any {
	if len(suite) == 0 {
		return test
	}
	out := maps.Clone(suite)
	maps.Copy(out, test)
	return out
}
