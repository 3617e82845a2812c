package prompt

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"

	"github.com/google/dotprompt/go/dotprompt"

	"github.com/promptgate/promptgate/internal/llm"
)

// Render renders p with vars (merged over the prompt's input.default) into chat
// messages. Dotprompt roles map to chat roles: system → system, user → user,
// model → assistant. Only text is supported; a media part is an error. Render
// is safe for concurrent use and does no parsing.
func (s *Set) Render(p *Prompt, vars map[string]any) ([]llm.Message, error) {
	return s.RenderConversation(p, vars, nil)
}

// RenderConversation is Render with earlier turns of a conversation (a test's
// `messages:`), placed where the template's {{history}} stands, or, as
// Dotprompt does without one, before the final user message.
func (s *Set) RenderConversation(p *Prompt, vars map[string]any, history []llm.Message) ([]llm.Message, error) {
	if p != nil && p.external != nil {
		if len(history) > 0 {
			return nil, fmt.Errorf("render prompt %s: messages: history needs a .prompt file with {{history}}", p.Path)
		}
		msgs, err := p.external(vars)
		if err != nil {
			return nil, fmt.Errorf("render prompt %s: %w", p.Path, err)
		}
		return msgs, nil
	}
	if p == nil || p.r == nil {
		return nil, fmt.Errorf("render prompt: %w", errNotLoaded)
	}
	input := vars
	if len(p.Defaults) > 0 {
		input = make(map[string]any, len(p.Defaults)+len(vars))
		maps.Copy(input, p.Defaults)
		maps.Copy(input, vars)
	}
	fn, err := p.r.get()
	if err != nil {
		return nil, fmt.Errorf("render prompt %s: %w", p.Path, err)
	}
	past, err := historyMessages(history)
	if err != nil {
		p.r.put(fn)
		return nil, fmt.Errorf("render prompt %s: %w", p.Path, err)
	}
	rendered, err := execute(fn, input, past)
	p.r.put(fn)
	if err != nil {
		return nil, fmt.Errorf("render prompt %s: %w", p.Path, err)
	}
	msgs, err := toMessages(rendered.Messages)
	if err != nil {
		return nil, fmt.Errorf("render prompt %s: %w", p.Path, err)
	}
	return msgs, nil
}

var errNotLoaded = errors.New("prompt was not loaded into a Set")

// renderer hands out compiled instances of one prompt's template, one per
// concurrent render. Raymond writes to the template's AST while executing (it
// sets MustacheStatement.Unescaped from the exec options), so one compiled
// template must not be executed by two goroutines at once. The free list grows
// to the number of concurrent renders and then stays put.
type renderer struct {
	build func() (dotprompt.PromptFunction, error)
	mu    sync.Mutex
	free  []dotprompt.PromptFunction
}

func (r *renderer) get() (dotprompt.PromptFunction, error) {
	r.mu.Lock()
	if n := len(r.free); n > 0 {
		fn := r.free[n-1]
		r.free = r.free[:n-1]
		r.mu.Unlock()
		return fn, nil
	}
	r.mu.Unlock()
	return r.build()
}

func (r *renderer) put(fn dotprompt.PromptFunction) {
	r.mu.Lock()
	r.free = append(r.free, fn)
	r.mu.Unlock()
}

// execute runs the compiled template. Raymond reports template errors by
// panicking and only recovers some of them itself (a helper misused with the
// wrong argument types panics with a runtime error), so any panic becomes an
// error: user input must never crash the process.
func execute(fn dotprompt.PromptFunction, input map[string]any, history []dotprompt.Message) (out dotprompt.RenderedPrompt, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return fn(&dotprompt.DataArgument{Input: input, Messages: history}, nil)
}

func panicError(r any) error {
	if err, ok := r.(error); ok {
		return fmt.Errorf("template: %w", err)
	}
	return fmt.Errorf("template: %v", r)
}

// toMessages flattens dotprompt messages into text chat messages.
func toMessages(in []dotprompt.Message) ([]llm.Message, error) {
	out := make([]llm.Message, 0, len(in))
	for _, m := range in {
		role, err := chatRole(m.Role)
		if err != nil {
			return nil, err
		}
		var text strings.Builder
		for _, part := range m.Content {
			switch part := part.(type) {
			case *dotprompt.TextPart:
				text.WriteString(part.Text)
			case *dotprompt.MediaPart:
				return nil, fmt.Errorf("media parts ({{media}}) are not supported: promptgate sends text-only chat messages")
			case *dotprompt.PendingPart:
				// {{section}} markers only matter to Genkit's tool loop.
			default:
				return nil, fmt.Errorf("unsupported message part %T: promptgate sends text-only chat messages", part)
			}
		}
		content := strings.TrimSpace(text.String())
		if content == "" {
			continue
		}
		out = append(out, llm.Message{Role: role, Content: content})
	}
	if len(out) == 0 {
		return nil, errors.New("rendered prompt is empty")
	}
	return out, nil
}

// historyMessages turns chat messages into Dotprompt's, for {{history}}.
func historyMessages(in []llm.Message) ([]dotprompt.Message, error) {
	out := make([]dotprompt.Message, 0, len(in))
	for i, m := range in {
		var role dotprompt.Role
		switch m.Role {
		case "system":
			role = dotprompt.RoleSystem
		case "user":
			role = dotprompt.RoleUser
		case "assistant", "model":
			role = dotprompt.RoleModel
		default:
			return nil, fmt.Errorf("messages[%d]: unsupported role %q (use system, user or assistant)", i, m.Role)
		}
		out = append(out, dotprompt.Message{Role: role, Content: []dotprompt.Part{&dotprompt.TextPart{Text: m.Content}}})
	}
	return out, nil
}

func chatRole(r dotprompt.Role) (string, error) {
	switch r {
	case dotprompt.RoleSystem:
		return "system", nil
	case dotprompt.RoleUser:
		return "user", nil
	case dotprompt.RoleModel:
		return "assistant", nil
	default:
		return "", fmt.Errorf("unsupported role %q (use system, user or model)", r)
	}
}
