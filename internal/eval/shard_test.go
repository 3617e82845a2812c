package eval

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/shard"
)

// TestShardsMergeToTheWholeRun: 4 shards of a 400-case, two-suite run make
// exactly 400 calls between them, 60–140 each, pick the same cases on a
// rerun, and merge into the unsharded run's suites, cases and verdict.
func TestShardsMergeToTheWholeRun(t *testing.T) {
	t.Parallel()
	// Every seventh word comes back wrong, so suites have fails to count.
	fake := newFakeChat(t, 0, func(_ int64, req chatReq) (int, http.Header, string) {
		word := lastUser(req.Messages)
		if strings.HasSuffix(word, "7") {
			word = "wrong"
		}
		return 200, nil, completion(req.Model, "echo: "+word, 20, 5)
	})
	set, suites := fixture(t, map[string]string{"prompts/echo.prompt": echoPrompt,
		"evals/a.yaml": echoSuite(250, ""), "evals/b.yaml": echoSuite(150, "")})
	run := func(sh shard.Shard) *Report {
		t.Helper()
		r := &Runner{Prompts: set, Client: newClient(t, fake.URL, 8, 0, "", llm.CacheOff), Concurrency: 8, Shard: sh}
		before := fake.Requests()
		rep, err := r.Run(context.Background(), suites)
		if err != nil {
			t.Fatal(err)
		}
		if calls := fake.Requests() - before; calls != int64(TotalIn(suites, sh)) || calls != int64(rep.Calls) {
			t.Errorf("shard %q made %d calls, want %d", sh, calls, TotalIn(suites, sh))
		}
		return rep
	}
	whole := run(shard.Shard{})
	var parts []*Report
	var names []string
	total := 0
	for k := 1; k <= 4; k++ {
		sh := shard.Shard{K: k, N: 4}
		rep := run(sh)
		n := 0
		for _, s := range rep.Suites {
			n += len(s.Cases)
		}
		if n < 60 || n > 140 {
			t.Errorf("shard %s ran %d cases, want 60–140", sh, n)
		}
		total += n
		if again := run(sh); !cmp.Equal(caseKeys(rep), caseKeys(again)) {
			t.Errorf("shard %s picked other cases on a rerun", sh)
		}
		parts = append(parts, rep)
		names = append(names, "shard-"+sh.String())
	}
	if total != 400 {
		t.Errorf("the shards ran %d cases between them, want 400", total)
	}
	merged, err := Merge(parts, names)
	if err != nil {
		t.Fatal(err)
	}
	// Latencies are measured per call, so percentiles and durations differ run to run.
	opts := cmp.Options{cmpopts.IgnoreFields(SuiteResult{}, "LatencyP50", "LatencyP95"),
		cmpopts.IgnoreFields(CaseResult{}, "Latency"), cmpopts.IgnoreFields(Report{}, "Duration")}
	if diff := cmp.Diff(whole, merged, opts); diff != "" {
		t.Errorf("merged shards differ from the whole run (-whole +merged):\n%s", diff)
	}
	if whole.Suites[0].Failed == 0 || merged.OK() != whole.OK() {
		t.Errorf("verdicts: whole OK=%v with %d fails, merged OK=%v", whole.OK(), whole.Suites[0].Failed, merged.OK())
	}
}

func caseKeys(rep *Report) []CaseKey {
	var out []CaseKey
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			out = append(out, c.Key())
		}
	}
	return out
}

func TestMergeRefusesAnIncompleteSet(t *testing.T) {
	t.Parallel()
	one := func(sh string, cases ...int) *Report {
		s := &SuiteResult{Path: "evals/a.yaml", PromptHash: "h", Threshold: 0.5}
		for _, i := range cases {
			s.Cases = append(s.Cases, CaseResult{Index: i, Status: StatusPass})
		}
		return &Report{Shard: sh, Suites: []*SuiteResult{s}}
	}
	tests := []struct {
		name    string
		reports []*Report
		want    string
	}{
		{name: "missing shard", reports: []*Report{one("1/3", 0), one("3/3", 1)}, want: "shard 2/3 is missing (got 2 of 3 reports)"},
		{name: "same shard twice", reports: []*Report{one("1/2", 0), one("1/2", 1)}, want: "r0 and r1 are both shard 1/2"},
		{name: "different N", reports: []*Report{one("1/2", 0), one("2/3", 1)}, want: "r1 is shard 2/3, but r0 is one of 2"},
		{name: "a whole run", reports: []*Report{one("", 0)}, want: "r0 is not a shard's report"},
		{name: "overlapping cases", reports: []*Report{one("1/2", 0), one("2/2", 0)}, want: "case 0 (repeat 0) is in both r0 and r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Merge(tt.reports, []string{"r0", "r1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge error = %v, want %q", err, tt.want)
			}
		})
	}
}
