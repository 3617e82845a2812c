package change

import (
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestToolFileChange: a commit that edits only a tool file re-evaluates
// exactly the prompts naming it, whichever side names it.
func TestToolFileChange(t *testing.T) {
	t.Parallel()
	base := maps.Clone(baseRepo)
	base["tools/get_weather.yaml"] = "name: get_weather\ndescription: Current weather.\ninput:\n  city: string\n"
	base["tools/get_time.yaml"] = "name: get_time\ndescription: Local time.\ninput:\n  city: string\n"
	base["prompts/agent.prompt"] = "---\ntools: [get_weather, get_time]\n---\nHelp with {{q}}\n"
	base["prompts/clock.prompt"] = "---\ntools: [get_time]\n---\nTime in {{q}}\n"
	editedTool := strings.Replace(base["tools/get_weather.yaml"], "Current weather.", "Weather now, in °C.", 1)
	tests := []struct {
		name  string
		edits map[string]string
		want  Affected
	}{
		{
			name:  "tool description edited",
			edits: map[string]string{"tools/get_weather.yaml": editedTool},
			want:  Affected{Reeval: map[string][]Reason{"agent": {"tool get_weather changed"}}},
		},
		{
			name:  "tool schema edited",
			edits: map[string]string{"tools/get_time.yaml": base["tools/get_time.yaml"] + "  tz?: string\n"},
			want:  Affected{Reeval: map[string][]Reason{"agent": {"tool get_time changed"}, "clock": {"tool get_time changed"}}},
		},
		{
			name: "a prompt starts naming the edited tool",
			edits: map[string]string{
				"tools/get_weather.yaml": editedTool,
				"prompts/clock.prompt":   "---\ntools: [get_time, get_weather]\n---\nTime in {{q}}\n",
			},
			want: Affected{Reeval: map[string][]Reason{
				"agent": {"tool get_weather changed"},
				"clock": {ReasonPromptChanged, "tool get_weather changed"},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			head := maps.Clone(base)
			maps.Copy(head, tc.edits)
			got := Detect(diffFiles(base, head), snapshot(t, base), snapshot(t, head))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Detect (-want +got):\n%s", diff)
			}
		})
	}
}
