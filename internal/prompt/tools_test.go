package prompt

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/llm"
)

const weatherTool = "name: get_weather\ndescription: Current weather in a city.\ninput:\n  city: string, the city name\n  days?: integer\n"

func toolFS() fstest.MapFS {
	return fstest.MapFS{
		"tools/get_weather.yaml": file(weatherTool),
		"tools/get_time.json": file(`{"type": "function", "function": {"name": "get_time", "description": "Local time.",
  "parameters": {"type": "object", "properties": {"tz": {"type": "string"}}, "required": ["tz"]}}}`),
		"prompts/agent.prompt": file("---\nmodel: m\ntools: [get_weather, get_time]\nconfig:\n  toolChoice: auto\n---\n" +
			"{{role \"system\"}}You help.\n{{history}}\n{{role \"user\"}}{{q}}"),
		"prompts/inline.prompt": file("---\nmodel: m\ntoolDefs:\n  - name: lookup\n    description: Find an order.\n    inputSchema:\n      id: string\n---\nFind {{q}}"),
		"prompts/plain.prompt":  file("---\nmodel: m\n---\nHi {{q}}"),
		"prompts/order.prompt":  file("---\nmodel: m\noutput:\n  format: json\n  schema:\n    item: string\n    qty: integer\n---\nOrder {{q}}"),
	}
}

func TestToolsLoad(t *testing.T) {
	t.Parallel()
	s, err := LoadWithTools(toolFS(), "prompts", "tools")
	if err != nil {
		t.Fatal(err)
	}
	agent, _ := s.Get("agent", "")
	if diff := cmp.Diff([]string{"get_time", "get_weather"}, agent.Tools); diff != "" {
		t.Errorf("Tools (-want +got):\n%s", diff)
	}
	if got := toolNames(agent.Params.Tools); !cmp.Equal(got, []string{"get_weather", "get_time"}) {
		t.Errorf("offered tools = %v, want the front matter's order", got)
	}
	var params map[string]any
	if err := json.Unmarshal(agent.Params.Tools[0].Parameters, &params); err != nil {
		t.Fatal(err)
	}
	props := params["properties"].(map[string]any)
	if params["type"] != "object" || props["city"].(map[string]any)["type"] != "string" || props["days"] == nil {
		t.Errorf("get_weather parameters from Picoschema = %s", agent.Params.Tools[0].Parameters)
	}
	if agent.Params.ToolChoice != "auto" {
		t.Errorf("ToolChoice = %q", agent.Params.ToolChoice)
	}
	inline, _ := s.Get("inline", "")
	if len(inline.Params.Tools) != 1 || inline.Params.Tools[0].Name != "lookup" || len(inline.Tools) != 0 {
		t.Errorf("inline toolDefs = %+v, files %v", inline.Params.Tools, inline.Tools)
	}
	var deps []string
	for _, p := range s.ToolDependents("tools/get_time.json") {
		deps = append(deps, p.Name)
	}
	if !cmp.Equal(deps, []string{"agent"}) {
		t.Errorf("ToolDependents(get_time) = %v", deps)
	}

	// Editing a tool file is a new version of every prompt naming it, and
	// of no other.
	edited := toolFS()
	edited["tools/get_weather.yaml"] = file(strings.Replace(weatherTool, "Current", "Today's", 1))
	s2, err := LoadWithTools(edited, "prompts", "tools")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"agent", "plain", "inline"} {
		a, _ := s.Get(name, "")
		b, _ := s2.Get(name, "")
		if changed := a.Hash != b.Hash; changed != (name == "agent") {
			t.Errorf("%s: hash changed = %t after a tool edit", name, changed)
		}
	}
}

func TestToolErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown tool", map[string]string{"prompts/a.prompt": "---\ntools: [get_wether]\n---\nx"},
			`prompts/a.prompt:2: unknown tool "get_wether" (did you mean "get_weather"?)`},
		{"tools not a list", map[string]string{"prompts/a.prompt": "---\ntools: get_weather\n---\nx"},
			"prompts/a.prompt:2: tools must be a list"},
		{"bad picoschema", map[string]string{"tools/bad.yaml": "name: bad\ninput:\n  n: integr\n"},
			`tools/bad.yaml:3: input: unknown type "integr"`},
		{"not an object", map[string]string{"tools/bad.yaml": "name: bad\ninput:\n  type: string\n"},
			"tools/bad.yaml:3: input: a tool's arguments are an object"},
		{"external ref", map[string]string{"tools/bad.yaml": "name: bad\ninput:\n  type: object\n  properties:\n    x: {$ref: 'http://x/y.json'}\n"},
			"tools/bad.yaml:3: input:"},
		{"name mismatch", map[string]string{"tools/bad.yaml": "name: other\n"},
			`tools/bad.yaml:1: tool name "other" does not match its file name "bad"`},
		{"unknown key", map[string]string{"tools/bad.yaml": "name: bad\ndescripton: x\n"},
			`tools/bad.yaml:2: unknown tool key "descripton" (did you mean "description"?)`},
		{"bad tool choice", map[string]string{"prompts/a.prompt": "---\ntools: [get_weather]\nconfig:\n  toolChoice: get_wether\n---\nx"},
			`prompts/a.prompt:4: config.toolChoice "get_wether": want auto, none, required or an offered tool (did you mean "get_weather"?)`},
		{"tool choice without tools", map[string]string{"prompts/a.prompt": "---\nconfig:\n  toolChoice: auto\n---\nx"},
			"prompts/a.prompt:3: config.toolChoice is set but the prompt offers no tools"},
		{"offered twice", map[string]string{"prompts/a.prompt": "---\ntools: [get_weather, get_weather]\n---\nx"},
			`prompts/a.prompt:2: tool "get_weather" is offered twice`},
		{"bad output schema", map[string]string{"prompts/a.prompt": "---\noutput:\n  schema:\n    n: nmber\n---\nx"},
			`prompts/a.prompt:4: output.schema: unknown type "nmber"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{"tools/get_weather.yaml": file(weatherTool)}
			for k, v := range tt.files {
				fsys[k] = file(v)
			}
			_, err := LoadWithTools(fsys, "prompts", "tools")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOutputSchema(t *testing.T) {
	t.Parallel()
	s, err := LoadWithTools(toolFS(), "prompts", "tools")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Get("order", "")
	if p.Params.Schema == nil || p.Params.Schema.Name != "order" || !p.Params.JSONMode {
		t.Fatalf("Params.Schema = %+v", p.Params.Schema)
	}
	tests := []struct{ answer, want string }{
		{`{"item": "tea", "qty": 2}`, ""},
		{`{"item": "tea"}`, "qty: required"},
		{`{"item": "tea", "qty": "two"}`, "qty: got string, want integer"},
		{`tea`, "not JSON"},
	}
	for _, tt := range tests {
		got := ""
		if prob := p.CheckOutput(tt.answer); prob != nil {
			got = prob.String()
		}
		if !strings.HasPrefix(got, tt.want) || (tt.want == "") != (got == "") {
			t.Errorf("CheckOutput(%s) = %q, want %q", tt.answer, got, tt.want)
		}
	}
	plain, _ := s.Get("plain", "")
	if plain.CheckOutput("anything") != nil {
		t.Error("a prompt without output.schema checked its answer")
	}
}

func TestRenderHistory(t *testing.T) {
	t.Parallel()
	s, err := LoadWithTools(toolFS(), "prompts", "tools")
	if err != nil {
		t.Fatal(err)
	}
	history := []llm.Message{{Role: "user", Content: "Hi, I'm Ada."}, {Role: "assistant", Content: "Hello Ada!"}}
	tests := []struct {
		prompt string
		want   []llm.Message
	}{
		// {{history}} stands between the system text and the user turn.
		{"agent", []llm.Message{{Role: "system", Content: "You help."}, history[0], history[1], {Role: "user", Content: "What's my name?"}}},
		// Without {{history}}, Dotprompt puts it before the final user turn.
		{"plain", []llm.Message{history[0], history[1], {Role: "user", Content: "Hi What's my name?"}}},
	}
	for _, tt := range tests {
		p, _ := s.Get(tt.prompt, "")
		got, err := s.RenderConversation(p, map[string]any{"q": "What's my name?"}, history)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.prompt, diff)
		}
	}
	p, _ := s.Get("agent", "")
	if _, err := s.RenderConversation(p, map[string]any{"q": "x"}, []llm.Message{{Role: "tool", Content: "x"}}); err == nil || !strings.Contains(err.Error(), `messages[0]: unsupported role "tool"`) {
		t.Errorf("tool role in history: err = %v", err)
	}
}
