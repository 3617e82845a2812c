package prompt

import (
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/llm"
)

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"prompts/support/summarize.prompt": file("---\nmodel: gpt-4.1-mini\ninput:\n  schema:\n    ticket: string\n    tone?(enum): [friendly, formal]\n  default:\n    tone: friendly\n---\n" +
			"{{role \"system\"}}\n{{> persona}}\nTone: {{tone}}.\n{{role \"user\"}}\n{{ticket}}\n"),
		"prompts/support/summarize.v2.prompt": file("---\nmodel: local/llama3.1\n---\n{{>footer}}\nSummarize: {{ticket}}\n"),
		"prompts/chat.prompt":                 file("{{role \"system\"}}Be brief.{{role \"user\"}}Hi{{role \"model\"}}Hello!{{role \"user\"}}{{q}}"),
		"prompts/shared/_persona.prompt":      file("You are a support agent.\n{{> footer}}\n"),
		"prompts/_footer.prompt":              file("[footer]\n"),
		"prompts/README.md":                   file("not a prompt"),
	}
}

func mustLoad(t testing.TB, fsys fstest.MapFS) *Set {
	t.Helper()
	s, err := Load(fsys, "prompts")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func TestLoad(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, testFS())
	type entry struct {
		Name, Variant, Path string
		Partials            []string
	}
	var got []entry
	for _, p := range s.All() {
		got = append(got, entry{p.Name, p.Variant, p.Path, p.Partials})
	}
	want := []entry{
		{"chat", "", "prompts/chat.prompt", nil},
		{"support/summarize", "", "prompts/support/summarize.prompt", []string{"footer", "persona"}},
		{"support/summarize", "v2", "prompts/support/summarize.v2.prompt", []string{"footer"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("All() mismatch (-want +got):\n%s", diff)
	}
	if p, ok := s.Get("support/summarize", "v2"); !ok || p.Model != "local/llama3.1" {
		t.Errorf("Get(support/summarize, v2) = %v, %v", p, ok)
	}
	if _, ok := s.Get("support/summarize", "v3"); ok {
		t.Error("Get of a missing variant succeeded")
	}
	if diff := cmp.Diff([]string{"chat", "support/summarize"}, s.Names()); diff != "" {
		t.Errorf("Names() mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadMissingRoot(t *testing.T) {
	t.Parallel()
	s, err := Load(fstest.MapFS{"other/x.txt": file("x")}, "prompts")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if n := len(s.All()); n != 0 {
		t.Errorf("len(All()) = %d, want 0", n)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"prompts/a.prompt":         file("---\nmodel: x\n---\nline\n{{> hedaer}}\n"),
		"prompts/b.prompt":         file("---\nbogus: 1\n---\nHi"),
		"prompts/c.prompt":         file("{{> loop1}}"),
		"prompts/_header.prompt":   file("H"),
		"prompts/_loop1.prompt":    file("{{> loop2}}"),
		"prompts/_loop2.prompt":    file("{{> loop1}}"),
		"prompts/x/_header.prompt": file("dup"),
	}
	_, err := Load(fsys, "prompts")
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	msg := err.Error()
	for _, want := range []string{
		`prompts/a.prompt:5: unknown partial "hedaer" (did you mean "header"?)`,
		`prompts/b.prompt:2: unknown front matter key "bogus"`,
		`partial "loop1" includes itself (loop1 → loop2 → loop1)`,
		`prompts/x/_header.prompt: partial "header" is already defined by prompts/_header.prompt`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q; got:\n%s", want, msg)
		}
	}
}

func TestHashFollowsPartials(t *testing.T) {
	t.Parallel()
	base := mustLoad(t, testFS())
	edited := testFS()
	edited["prompts/_footer.prompt"] = file("[new footer]")
	after := mustLoad(t, edited)
	for _, k := range []struct{ name, variant string }{{"support/summarize", ""}, {"support/summarize", "v2"}} {
		a, _ := base.Get(k.name, k.variant)
		b, _ := after.Get(k.name, k.variant)
		if a.Hash == b.Hash {
			t.Errorf("%s.%s: hash %s unchanged after editing a partial it uses", k.name, k.variant, a.Hash)
		}
	}
	a, _ := base.Get("chat", "")
	b, _ := after.Get("chat", "")
	if a.Hash != b.Hash {
		t.Errorf("chat: hash changed %s → %s though it uses no partial", a.Hash, b.Hash)
	}
	again := mustLoad(t, testFS())
	c, _ := again.Get("support/summarize", "")
	d, _ := base.Get("support/summarize", "")
	if c.Hash != d.Hash {
		t.Errorf("hash not stable across loads: %s vs %s", c.Hash, d.Hash)
	}
}

func TestDependents(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, testFS())
	tests := []struct {
		partial string
		want    []string
	}{
		{"footer", []string{"prompts/support/summarize.prompt", "prompts/support/summarize.v2.prompt"}},
		{"prompts/shared/_persona.prompt", []string{"prompts/support/summarize.prompt"}},
		{"nothing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.partial, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range s.Dependents(tt.partial) {
				got = append(got, p.Path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Dependents(%q) mismatch (-want +got):\n%s", tt.partial, diff)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, testFS())
	tests := []struct {
		name, prompt, variant string
		vars                  map[string]any
		want                  []llm.Message
	}{
		{
			name: "roles partials and defaults", prompt: "support/summarize",
			vars: map[string]any{"ticket": "My order is late."},
			want: []llm.Message{
				{Role: "system", Content: "You are a support agent.\n[footer]\nTone: friendly."},
				{Role: "user", Content: "My order is late."},
			},
		},
		{
			name: "vars override defaults", prompt: "support/summarize",
			vars: map[string]any{"ticket": "T", "tone": "formal"},
			want: []llm.Message{
				{Role: "system", Content: "You are a support agent.\n[footer]\nTone: formal."},
				{Role: "user", Content: "T"},
			},
		},
		{
			name: "no role marker is one user message", prompt: "support/summarize", variant: "v2",
			vars: map[string]any{"ticket": "<b>&</b>"},
			want: []llm.Message{{Role: "user", Content: "[footer]\nSummarize: <b>&</b>"}},
		},
		{
			name: "model maps to assistant", prompt: "chat",
			vars: map[string]any{"q": "Why?"},
			want: []llm.Message{
				{Role: "system", Content: "Be brief."},
				{Role: "user", Content: "Hi"},
				{Role: "assistant", Content: "Hello!"},
				{Role: "user", Content: "Why?"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, ok := s.Get(tt.prompt, tt.variant)
			if !ok {
				t.Fatalf("Get(%q, %q) not found", tt.prompt, tt.variant)
			}
			got, err := s.Render(p, tt.vars)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Render mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, fstest.MapFS{
		"prompts/media.prompt": file("Look: {{media url=img}}"),
		"prompts/tool.prompt":  file("{{role \"tool\"}}result"),
		"prompts/empty.prompt": file("{{#if nothing}}shown{{/if}}"),
		"prompts/json.prompt":  file("{{json x indent=\"two\"}}"),
	})
	tests := []struct{ name, want string }{
		{"media", "media parts"},
		{"tool", `unsupported role "tool"`},
		{"empty", "rendered prompt is empty"},
		{"json", "template:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, _ := s.Get(tt.name, "")
			_, err := s.Render(p, map[string]any{"img": "http://x/y.png", "x": map[string]any{"a": 1}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	parsed, err := Parse("prompts/x.prompt", []byte("Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Render(parsed, nil); err == nil {
		t.Error("Render of a prompt that was not loaded succeeded")
	}
}

// TestRenderConcurrent is meant for -race: one compiled prompt, many renders.
func TestRenderConcurrent(t *testing.T) {
	t.Parallel()
	s := mustLoad(t, testFS())
	p, _ := s.Get("support/summarize", "")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				msgs, err := s.Render(p, map[string]any{"ticket": strings.Repeat("x", i+j+1)})
				if err == nil && msgs[1].Content != strings.Repeat("x", i+j+1) {
					err = errorString("wrong content " + msgs[1].Content)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func BenchmarkRender(b *testing.B) {
	s := mustLoad(b, testFS())
	p, _ := s.Get("support/summarize", "")
	vars := map[string]any{"ticket": "My order #123 arrived damaged; I want a refund."}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Render(p, vars); err != nil {
			b.Fatal(err)
		}
	}
}
