package promptfoo

import (
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/prompt"
)

// providerTools reads a provider's config.tools: OpenAI's function tools,
// offered with every call of the provider's prompts, as promptfoo does.
func (l *loader) providerTools(file string, n *yaml.Node, p *Provider) {
	if n.Kind != yaml.SequenceNode {
		l.errorf(file, n.Line, "tools must be a list of OpenAI tools ({type: function, function: {name, parameters}})")
		return
	}
	for _, item := range n.Content {
		t, err := prompt.ToolFromNode(file, item)
		if err != nil {
			l.errs = diag.Append(l.errs, err)
			continue
		}
		p.Tools = append(p.Tools, t)
	}
}

// providerToolChoice reads config.tool_choice: "auto", "none", "required",
// or {type: function, function: {name}} to force one tool.
func (l *loader) providerToolChoice(file string, n *yaml.Node, p *Provider) {
	if n.Kind == yaml.ScalarNode {
		p.ToolChoice = n.Value
		return
	}
	var forced struct {
		Type     string `yaml:"type"`
		Function struct {
			Name string `yaml:"name"`
		} `yaml:"function"`
	}
	if n.Decode(&forced) != nil || forced.Type != "function" || forced.Function.Name == "" {
		l.errorf(file, n.Line, "tool_choice must be auto, none, required or {type: function, function: {name}}")
		return
	}
	p.ToolChoice = forced.Function.Name
}
