package promptfoo

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"
)

// arrayVarsConfig is a config whose one test has vars arrays of the given
// lengths, so it expands to their product.
func arrayVarsConfig(lens ...int) string {
	var b strings.Builder
	b.WriteString("prompts: ['{{a}}']\nproviders: [openai:chat:gpt-4o-mini]\ntests:\n  - assert: [{type: contains, value: x}]\n  - vars:\n")
	for i, n := range lens {
		vals := make([]string, n)
		for j := range vals {
			vals[j] = fmt.Sprint(j)
		}
		fmt.Fprintf(&b, "      %c: [%s]\n", 'a'+i, strings.Join(vals, ", "))
	}
	return b.String()
}

func TestArrayVarsExpansionLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		lens    []int
		wantErr string
		want    int
	}{
		{"at the limit", []int{101, 99}, "", 1 + 9999},
		{"one past the limit", []int{100, 100}, "promptfooconfig.yaml:5: test expands to 10000 combinations of its array vars, which with the 1 tests before it passes the limit of 10000 tests per config", 0},
		{"40 to the sixth, counted without building", []int{40, 40, 40, 40, 40, 40}, "promptfooconfig.yaml:5: test expands to more than 10000 combinations", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{"promptfooconfig.yaml": {Data: []byte(arrayVarsConfig(tt.lens...))}}
			cfg, err := Load(fsys, "promptfooconfig.yaml")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(cfg.Tests) != tt.want {
				t.Errorf("%d tests, want %d", len(cfg.Tests), tt.want)
			}
		})
	}
}
