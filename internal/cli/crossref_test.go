package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestCrossReferences: promptgate.yaml entries that name nothing are config
// errors at their line with the closest name; an unpriced model warns.
func TestCrossReferences(t *testing.T) {
	t.Parallel()
	prompt := "---\nmodel: gpt-4.1-mimi\nmetadata:\n  owner: \"@acme/support\"\ninput:\n  schema:\n    text: string\n---\n{{role \"user\"}}\n{{text}}\n"
	suite := "prompt: triage/reply\ntests:\n  - vars: {text: hi}\n"
	tests := []struct {
		name, config string
		code         int
		want         []string
	}{
		{"traffic for no prompt", "traffic:\n  triage/replies: {requests_per_day: 100}\n", ExitBadInput,
			[]string{`promptgate.yaml:2: traffic.triage/replies: no prompt, prompt variant or flag is named "triage/replies"`, `(did you mean "triage/reply"?)`}},
		{"budget for nobody", "budget:\n  monthly_usd: 10\n  owners:\n    \"@acme/suport\": {monthly_usd: 5}\n", ExitBadInput,
			[]string{`promptgate.yaml:4: budget.owners.@acme/suport: no prompt is owned by "@acme/suport"`, `(did you mean "@acme/support"?)`}},
		{"unpriced candidate", "candidates: [gpt-4.1-nanno]\n", ExitBadInput,
			[]string{`candidates: "gpt-4.1-nanno" is not in the price table`, `(did you mean "gpt-4.1-nano"?)`}},
		{"unknown model warns", "traffic:\n  triage/reply: {requests_per_day: 100}\n", ExitBadInput,
			[]string{`warning: prompts/triage/reply.prompt: model "gpt-4.1-mimi" is not in the price table, so its cost is unknown (did you mean "gpt-4.1-mini"?)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"promptgate.yaml": tt.config, "prompts/triage/reply.prompt": prompt, "evals/s.yaml": suite})
			var stdout, stderr bytes.Buffer
			// --offline with an empty cache: the last case exits 2 for the
			// unrecorded run, after the warning.
			code := Main(context.Background(), []string{"eval", "-C", dir, "--offline", "--quiet", "--cache-dir", t.TempDir()}, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr:\n%s\nwant %q", stderr.String(), w)
				}
			}
		})
	}
}
