package promptfoo

import (
	"encoding/json"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/config"
)

// promptSplit is promptfoo's separator between prompts in one text file: a
// line holding only ---.
var promptSplit = regexp.MustCompile(`(?m)^---[ \t]*\r?$\n?`)

func (l *loader) prompts(file string, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		l.prompt(file, n, n.Value, "")
	case yaml.SequenceNode:
		for _, item := range n.Content {
			switch item.Kind {
			case yaml.ScalarNode:
				l.prompt(file, item, item.Value, "")
			case yaml.MappingNode:
				var raw, label string
				for i := 0; i+1 < len(item.Content); i += 2 {
					k, v := item.Content[i], item.Content[i+1]
					switch k.Value {
					case "id", "raw":
						raw = v.Value
					case "label":
						label = v.Value
					default:
						l.warn(file, k.Line, "prompt key %q is not supported and is ignored", k.Value)
					}
				}
				l.prompt(file, item, raw, label)
			default:
				l.errorf(file, item.Line, "each prompt must be a string or a mapping with raw/id and label")
			}
		}
	default:
		l.errorf(file, n.Line, "prompts must be a string or a list")
	}
}

// prompt adds an inline prompt, or every prompt in the files a file://
// reference names: text split by ---, or a chat-format JSON array.
func (l *loader) prompt(file string, n *yaml.Node, raw, label string) {
	if !strings.HasPrefix(raw, "file://") {
		l.cfg.Prompts = append(l.cfg.Prompts, Prompt{Label: label, Raw: raw, File: file, Line: n.Line})
		return
	}
	paths, err := l.files(raw)
	if err != nil {
		l.errorf(file, n.Line, "prompt %v", err)
		return
	}
	for _, p := range paths {
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			l.errorf(file, n.Line, "read prompt: %v", err)
			continue
		}
		base := label
		if base == "" {
			base = strings.TrimSuffix(path.Base(p), path.Ext(p))
		}
		switch path.Ext(p) {
		case ".json":
			var msgs []Message
			if err := json.Unmarshal(data, &msgs); err != nil || len(msgs) == 0 {
				l.errorf(p, 1, "a .json prompt must be a chat array of {role, content} messages")
				continue
			}
			l.cfg.Prompts = append(l.cfg.Prompts, Prompt{Label: base, Messages: msgs, File: p, Line: 1})
		case ".txt", ".md", ".prompt", ".j2", ".njk", "":
			parts := promptSplit.Split(string(data), -1)
			line := 1
			for i, part := range parts {
				lbl := base
				if len(parts) > 1 {
					lbl = base + "-" + strconv.Itoa(i+1)
				}
				if strings.TrimSpace(part) != "" {
					l.cfg.Prompts = append(l.cfg.Prompts, Prompt{Label: lbl, Raw: strings.TrimSpace(part), File: p, Line: line})
				}
				line += strings.Count(part, "\n") + 1
			}
		default:
			l.errorf(file, n.Line, "prompt file %s: only text (.txt, .md) and chat JSON (.json) prompts are supported", p)
		}
	}
}

// providers keeps OpenAI-compatible providers and warns about the rest.
func (l *loader) providers(file string, n *yaml.Node) {
	items := n.Content
	if n.Kind == yaml.ScalarNode || n.Kind == yaml.MappingNode {
		items = []*yaml.Node{n} // one provider (a providers file may hold one)
	} else if n.Kind != yaml.SequenceNode {
		l.errorf(file, n.Line, "providers must be a string, a mapping or a list")
		return
	}
	for _, item := range items {
		if item.Kind == yaml.ScalarNode && isProvidersFile(item.Value) {
			l.providersFile(file, item)
			continue
		}
		p := Provider{File: file, Line: item.Line}
		switch item.Kind {
		case yaml.ScalarNode:
			p.ID = item.Value
		case yaml.MappingNode:
			l.providerFields(file, item, &p, "provider")
		default:
			l.errorf(file, item.Line, "each provider must be a string or a mapping with id")
			continue
		}
		model, ok := openAIModel(p.ID)
		if !ok {
			l.warn(file, item.Line, "provider %q is not supported (only openai:chat:MODEL and openai:MODEL, with config.apiBaseUrl for any OpenAI-compatible endpoint); it is skipped", p.ID)
			continue
		}
		p.Model = model
		if p.Label == "" {
			p.Label = p.ID
		}
		l.cfg.Providers = append(l.cfg.Providers, p)
	}
}

// isProvidersFile reports whether a provider entry is a file:// YAML or
// JSON file of providers (a .py or .js file:// provider is code promptgate
// does not run).
func isProvidersFile(ref string) bool {
	rest, ok := strings.CutPrefix(ref, "file://")
	if !ok {
		return false
	}
	switch path.Ext(rest) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// providersFile reads providers from a file:// YAML or JSON file (globs
// allowed), as promptfoo does: each file holds one provider or a list.
func (l *loader) providersFile(file string, ref *yaml.Node) {
	paths, err := l.files(ref.Value)
	if err != nil {
		l.errorf(file, ref.Line, "providers %v", err)
		return
	}
	for _, p := range paths {
		data, err := fs.ReadFile(l.fsys, p)
		if err != nil {
			l.errorf(file, ref.Line, "read providers file: %v", err)
			continue
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil {
			l.errorf(p, yamlLine(err), "providers file: %v", err)
			continue
		}
		if len(doc.Content) == 0 {
			l.errorf(p, 1, "providers file is empty")
			continue
		}
		root := doc.Content[0]
		items := []*yaml.Node{root}
		if root.Kind == yaml.SequenceNode {
			items = root.Content
		}
		nested := false
		for _, n := range items {
			if n.Kind == yaml.ScalarNode && isProvidersFile(n.Value) {
				l.errorf(p, n.Line, "a providers file may not name another providers file")
				nested = true
			}
		}
		if !nested {
			l.providers(p, root)
		}
	}
}

// providerFields reads a provider mapping's id, label and config into p;
// what names the mapping in warnings ("provider", "grader provider").
func (l *loader) providerFields(file string, n *yaml.Node, p *Provider, what string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "id":
			p.ID = v.Value
		case "label":
			p.Label = v.Value
		case "config":
			l.providerConfig(file, v, p)
		default:
			l.warn(file, k.Line, "%s key %q is not supported and is ignored", what, k.Value)
		}
	}
}

func openAIModel(id string) (string, bool) {
	if m, ok := strings.CutPrefix(id, "openai:chat:"); ok && m != "" {
		return m, true
	}
	if m, ok := strings.CutPrefix(id, "openai:"); ok && m != "" && !strings.Contains(m, ":") {
		return m, true
	}
	return "", false
}

func (l *loader) providerConfig(file string, n *yaml.Node, p *Provider) {
	if n.Kind != yaml.MappingNode {
		l.errorf(file, n.Line, "provider config must be a mapping")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "apiBaseUrl":
			p.BaseURL = v.Value
		case "apiKeyEnvar":
			if prefix, reserved := config.ReservedKeyEnv(v.Value); reserved {
				// As for api_key_env in promptgate.yaml: these hold the runner's
				// and the workflow's tokens, and a config a pull request edits
				// must not send them to a model endpoint.
				l.errorf(file, v.Line, "apiKeyEnvar %q names a %s* variable, which GitHub Actions and promptgate reserve for the runner and "+
					"the workflow's token; keep the model key in its own variable, such as OPENAI_API_KEY", v.Value, prefix)
				continue
			}
			p.APIKeyEnv = v.Value
		case "temperature":
			if t, ok := l.number(file, v, "temperature"); ok {
				p.Temperature = &t
			}
		case "max_tokens":
			var m int
			if v.Decode(&m) != nil || m <= 0 {
				l.errorf(file, v.Line, "max_tokens must be a positive integer")
				continue
			}
			p.MaxTokens = &m
		case "tools":
			l.providerTools(file, v, p)
		case "tool_choice":
			l.providerToolChoice(file, v, p)
		case "apiKey":
			l.warn(file, k.Line, "an inline apiKey is not read; set apiKeyEnvar to the name of an environment variable")
		default:
			l.warn(file, k.Line, "provider config key %q is not supported and is ignored", k.Value)
		}
	}
}
