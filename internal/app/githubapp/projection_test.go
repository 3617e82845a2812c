package githubapp

import (
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

// checkSummary builds a check-run summary that ends, as `promptgate check`'s does,
// with the hidden line projection.Encode writes (internal/report's tests show
// that its summaries end with it; the App depends only on projection).
func checkSummary(t *testing.T, p projection.Projection) string {
	t.Helper()
	return "## promptgate\n\n| prompt | pass rate |\n|---|---|\n| summarize | 4/4 |\n\n" + projection.Encode(p)
}

// TestReplyQuotesCheckProjection delivers `/rollout prompt-01 25%` against check
// runs whose summaries do or do not carry a projection for the flag. The reply
// quotes the cost at the new share only when the check published one.
func TestReplyQuotesCheckProjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		summary func(t *testing.T) string
		want    string // "" means the reply must quote no cost at all
	}{
		{"projection for the flag", func(t *testing.T) string {
			return checkSummary(t, projection.Projection{Flags: map[string]projection.FlagCost{
				"prompt-01": {StableMonthlyUSD: 1200, RolloutMonthlyUSD: 1800}}})
		}, "Projected monthly cost at 25%: **$1350.00** (all stable $1200.00, all rollout $1800.00), from the promptgate check on 6dcb09b."},
		{"projection for other flags only", func(t *testing.T) string {
			return checkSummary(t, projection.Projection{Flags: map[string]projection.FlagCost{
				"prompt-02": {StableMonthlyUSD: 1, RolloutMonthlyUSD: 2}}})
		}, ""},
		{"unknown cost left out by the check", func(t *testing.T) string {
			return checkSummary(t, projection.Projection{Flags: map[string]projection.FlagCost{}})
		}, ""},
		{"summary without the line", func(*testing.T) string { return "## promptgate\n\nAll suites pass.\n" }, ""},
		{"empty summary", func(*testing.T) string { return "" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			r.gh.CheckRuns[headSHA] = []ghfake.CheckRun{{Name: "promptgate", Status: "completed", Conclusion: "success", Summary: tt.summary(t)}}
			body := payload(t, "issue_comment.created.with-installation.json", onPullRequest,
				commentBody("/rollout prompt-01 25%"), byUser("alice", "User"))
			if got := r.deliver(t, "proj-1", "issue_comment", body, testSecret); got != 202 {
				t.Fatalf("status = %d", got)
			}
			r.drain(t)
			if n := len(r.gh.Commits()); n != 1 {
				t.Fatalf("commits = %d, want 1", n)
			}
			c := r.gh.Comments()
			if len(c) != 1 {
				t.Fatalf("replies = %d, want 1", len(c))
			}
			reply := c[0].Body
			if !strings.Contains(reply, "5% → 25%") {
				t.Errorf("reply lacks old → new:\n%s", reply)
			}
			switch {
			case tt.want != "" && !strings.Contains(reply, tt.want):
				t.Errorf("reply lacks %q:\n%s", tt.want, reply)
			case tt.want == "" && (strings.Contains(reply, "Projected") || strings.Contains(reply, "$")):
				t.Errorf("reply quotes a cost the check did not publish:\n%s", reply)
			}
		})
	}
}
