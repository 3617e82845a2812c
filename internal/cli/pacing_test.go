package cli

import (
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/ratelimit"
)

func TestPacingNote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []llm.Pacing
		want string
	}{
		{name: "nothing called", want: ""},
		{name: "no limits seen", in: []llm.Pacing{{Provider: "default", Model: "m", Stats: ratelimit.Stats{Window: 8}}}, want: ""},
		{name: "learned and throttled",
			in:   []llm.Pacing{{Provider: "default", Model: "gpt-4o", Stats: ratelimit.Stats{RPM: 6000, TPM: 126000, Throttled: 3, Waited: 2340 * time.Millisecond}}},
			want: "gpt-4o: 6000 req/min, 126000 tok/min, 3×429, waited 2.3s"},
		{name: "two models name their provider",
			in: []llm.Pacing{{Provider: "default", Model: "a", Stats: ratelimit.Stats{RPM: 500}},
				{Provider: "local", Model: "b", Stats: ratelimit.Stats{Throttled: 1}}},
			want: "default/a: 500 req/min; local/b: 1×429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pacingNote(tt.in); got != tt.want {
				t.Errorf("pacingNote = %q, want %q", got, tt.want)
			}
		})
	}
}
