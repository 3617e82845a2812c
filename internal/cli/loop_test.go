package cli

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/testkit/golden"
)

// loopConfig is base's promptgate.yaml for the LLMOps loop: a what-if on two
// cheaper models, traffic to project, and a weekly budget for the team that
// CODEOWNERS names as the prompts' owner.
const loopConfig = `candidates: [gpt-4o-mini, gpt-4.1-nano]
candidates_margin: 60 # four cases prove only this much (docs/verdicts.md)
traffic:
  classify: {requests_per_day: 10000}
budget:
  monthly_usd: 100000
  owners:
    "@acme/support": {weekly_usd: 40}
`

// prEvent is the recorded pull_request payload, opened from head onto base.
func prEvent(t testing.TB, base, head string) string {
	return recordedEvent(t, "pull_request.opened.json", func(ev map[string]any) {
		pr := ev["pull_request"].(map[string]any)
		pr["base"].(map[string]any)["sha"] = base
		pr["head"].(map[string]any)["sha"] = head
	})
}

// historySummary is a default-branch check run's summary: a body that quotes
// a fake record (which must be ignored) and the real hidden line last.
func historySummary(passRate, costPer1K float64) string {
	fake := projection.Encode(projection.Projection{Prompts: map[string]projection.PromptRecord{"classify": {PassRate: ptrTo(0.0)}}})
	real := projection.Encode(projection.Projection{Prompts: map[string]projection.PromptRecord{
		"classify": {PassRate: &passRate, CostPer1K: &costPer1K, Hash: "0123456789ab"}}})
	return "## promptgate: no regressions\n\n> quoted model output: " + fake + "\n\n" + real + "\n"
}

func ptrTo[T any](v T) *T { return &v }

// TestCheckLLMOpsLoop is the end-to-end case: a pull request changes
// a gpt-4o prompt in a repo with candidates [gpt-4o-mini, gpt-4.1-nano], a
// CODEOWNERS owner with a weekly budget, and 20 earlier promptgate check runs
// on the default branch. The job summary (a golden file) shows each
// candidate's pass rate and saving, a recommendation for the candidate that
// loses no case and none for the one that loses a case, the cost by owner
// with the owner's budget alert, and a trend chart of the 20 runs plus the
// head.
// loopRepo is the LLMOps loop's origin, cloned as a pull request's checkout
// at depth 1, and a model fake of three models that counts calls per model.
func loopRepo(t *testing.T) (dir, base, head, modelURL string, callsByModel func() map[string]int) {
	origin := t.TempDir()
	git(t, origin, "init", "-q", "-b", "master")
	writeFiles(t, origin, map[string]string{
		"promptgate.yaml":         loopConfig,
		".github/CODEOWNERS":      "* @acme/everyone\n/prompts/ @acme/support @acme/billing\n",
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4o", "Classify the sentiment"),
		"evals/classify.yaml":     scenarioSuite,
	})
	git(t, origin, "add", "-A")
	git(t, origin, "commit", "-qm", "base")
	base = git(t, origin, "rev-parse", "HEAD")
	git(t, origin, "checkout", "-qb", "feature")
	writeFiles(t, origin, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4o", "Label the sentiment")})
	git(t, origin, "commit", "-qam", "head: new wording")
	head = git(t, origin, "rev-parse", "HEAD")
	dir = shallowClone(t, origin, "feature")

	model, calls := answeringModel(t, func(model, text string) string {
		if strings.Contains(text, "good") && !(model == "gpt-4.1-nano" && strings.Contains(text, "lovely")) {
			return "positive"
		}
		return "negative"
	})
	return dir, base, head, model.URL, calls
}

func TestCheckLLMOpsLoop(t *testing.T) {
	t.Parallel()
	dir, base, head, modelURL, calls := loopRepo(t)
	gh, ghSrv := newFakeGitHubFor(t, "Codertocat/Hello-World")
	// 24 commits on the default branch, newest first: 20 with a recorded
	// check run, the pass rate climbing and the cost falling; every sixth has
	// no check run of promptgate's (a push that changed no prompt ran none),
	// only one named promptgate that another app made, with figures of its
	// own: trends pass it over.
	for i := 0; i < 24; i++ {
		sha := fmt.Sprintf("%x", sha1.Sum([]byte{byte(i)}))
		hc := historyCommit{SHA: sha, Summary: historySummary(1-float64(i%5)*0.05, 0.55+float64(i)*0.01)}
		if i%6 == 5 {
			hc = historyCommit{SHA: sha, Summary: historySummary(0.01, 99), App: "impostor-app"}
		}
		gh.history = append(gh.history, hc)
	}
	event := prEvent(t, base, head)
	envs := actionEnvFor(t, dir, "pull_request", event, "Codertocat/Hello-World", ghSrv.URL, modelURL)
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, stdout.String(), stderr.String())
	}
	if c := calls(); c["gpt-4o"] != 8 || c["gpt-4o-mini"] != 4 || c["gpt-4.1-nano"] != 4 {
		t.Errorf("model calls = %v, want gpt-4o 8 (base and head), each candidate 4 (head's suite)", c)
	}
	gh.mu.Lock()
	if gh.historyBranch != "master" {
		t.Errorf("history read from branch %q, want the default branch master", gh.historyBranch)
	}
	// One listing, then commits newest first until 20 records are found.
	if gh.historyCalls != 1+23 {
		t.Errorf("history calls = %d, want 24 (1 commit listing + the 23 newest commits, which hold 20 records)", gh.historyCalls)
	}
	gh.mu.Unlock()
	summary, err := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
	if err != nil {
		t.Fatal(err)
	}
	got := normalizeTimings(string(summary))
	golden.Assert(t, "loop_summary.md", []byte(got))
	for _, want := range []string{
		"Recommended: `classify` on `gpt-4o-mini` loses at most 60 points",
		"@\u200bacme/support", "🔔",
		"```mermaid\nxychart-beta", "20 earlier runs",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(got, "Recommended: `classify` on `gpt-4.1-nano`") {
		t.Errorf("gpt-4.1-nano loses a passing case, yet it is recommended")
	}
}

// normalizeTimings replaces what differs from run to run on loopback: call
// latencies in tables and in the hidden record, and the padding of table
// cells, whose width follows them.
func normalizeTimings(s string) string {
	s = regexp.MustCompile(`[+\-±]?\b\d+ms\b`).ReplaceAllString(s, "Nms")
	// a loopback p95 of 0 ms is left out of the record, so the key goes too
	s = regexp.MustCompile(`"p95_ms":\d+,?`).ReplaceAllString(s, "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "|") {
			l = regexp.MustCompile(` {2,}`).ReplaceAllString(l, " ")
			lines[i] = regexp.MustCompile(`:-+`).ReplaceAllString(l, ":-")
		}
	}
	return strings.Join(lines, "\n")
}

// TestCheckTrendsDegradeQuietly: a token that cannot read the default
// branch's history costs the trends and nothing else: no section, no warning,
// the same conclusion.
func TestCheckTrendsDegradeQuietly(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusForbidden, http.StatusNotFound, 0} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			t.Parallel()
			dir, base, head, modelURL, _ := loopRepo(t)
			gh, ghSrv := newFakeGitHubFor(t, "Codertocat/Hello-World")
			gh.historyStatus = status // 0: the listing answers, with no commits
			event := prEvent(t, base, head)
			envs := actionEnvFor(t, dir, "pull_request", event, "Codertocat/Hello-World", ghSrv.URL, modelURL)
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr); code != ExitOK {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitOK, stdout.String(), stderr.String())
			}
			summary, _ := os.ReadFile(envs["GITHUB_STEP_SUMMARY"])
			if strings.Contains(string(summary), "Trends") || strings.Contains(string(summary), "mermaid") {
				t.Errorf("summary has a trends section without history:\n%s", summary)
			}
			if !strings.Contains(string(summary), "### Cheaper models") {
				t.Errorf("summary lost the what-if along with the trends:\n%s", summary)
			}
			if strings.Contains(stdout.String(), "::warning") || strings.Contains(stdout.String(), "::error") {
				t.Errorf("missing history raised an annotation:\n%s", stdout.String())
			}
			gh.mu.Lock()
			defer gh.mu.Unlock()
			if gh.historyCalls != 1 {
				t.Errorf("history calls = %d, want 1 (the commit listing)", gh.historyCalls)
			}
		})
	}
}

// TestCheckSpansTellSidesApart: a check's trace holds one suite span per
// side (base, head and each candidate), named and labelled with
// promptgate.side, and every call span carries its side too.
func TestCheckSpansTellSidesApart(t *testing.T) {
	t.Parallel()
	dir, base, head, modelURL, _ := loopRepo(t)
	col := newFakeCollector(t)
	env := map[string]string{"OPENAI_API_KEY": "test-key", "OPENAI_BASE_URL": modelURL + "/v1"}
	var stdout, stderr bytes.Buffer
	args := []string{"check", "-C", dir, "--base", base, "--head", head, "--otlp", col.URL}
	if code := Main(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr); code != ExitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	suites := map[string]string{}
	calls := map[string]int{}
	for _, s := range col.spans {
		a := attrs(s)
		if strings.HasPrefix(s.Name, "suite ") {
			suites[s.Name] = a["promptgate.side"]
		}
		if strings.HasPrefix(s.Name, "chat ") {
			calls[a["promptgate.side"]]++
		}
	}
	want := map[string]string{
		"suite evals/classify.yaml (base)": "base", "suite evals/classify.yaml (head)": "head",
		"suite evals/classify.yaml (candidate gpt-4o-mini)":  "candidate gpt-4o-mini",
		"suite evals/classify.yaml (candidate gpt-4.1-nano)": "candidate gpt-4.1-nano",
	}
	if fmt.Sprint(suites) != fmt.Sprint(want) {
		t.Errorf("suite spans = %v, want %v", suites, want)
	}
	for side, n := range map[string]int{"base": 4, "head": 4, "candidate gpt-4o-mini": 4, "candidate gpt-4.1-nano": 4} {
		if calls[side] != n {
			t.Errorf("%s: %d chat spans, want %d (all: %v)", side, calls[side], n, calls)
		}
	}
}

// TestPushToDefaultBranchRecordsEveryPrompt: a push to the default branch
// that changes one prompt records both prompts in its check run's hidden
// line (the unaffected one evaluated for the record only, shown nowhere
// else); with history "false" it records only the prompt it changed, and a
// push to another branch never records more.
func TestPushToDefaultBranchRecordsEveryPrompt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, history, branch string
		readmeOnly            bool
		want                  []string
	}{
		{"default branch", "", "master", false, []string{"classify", "other"}},
		{"history off", "false", "master", false, []string{"classify"}},
		{"another branch", "", "feature", false, []string{"classify"}},
		{"no prompt changed", "", "master", true, []string{"classify", "other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			origin := t.TempDir()
			git(t, origin, "init", "-q", "-b", tc.branch)
			otherSuite := strings.Replace(scenarioSuite, "prompt: classify", "prompt: other", 1)
			writeFiles(t, origin, map[string]string{
				"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4o", "Classify the sentiment"),
				"prompts/other.prompt":    fmt.Sprintf(scenarioPrompt, "gpt-4o-mini", "Say the sentiment"),
				"evals/classify.yaml":     scenarioSuite,
				"evals/other.yaml":        otherSuite,
			})
			git(t, origin, "add", "-A")
			git(t, origin, "commit", "-qm", "base")
			base := git(t, origin, "rev-parse", "HEAD")
			change := map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4o", "Label the sentiment")}
			if tc.readmeOnly {
				change = map[string]string{"README.md": "docs only\n"}
			}
			writeFiles(t, origin, change)
			git(t, origin, "add", "-A")
			git(t, origin, "commit", "-qm", "push")
			head := git(t, origin, "rev-parse", "HEAD")
			dir := shallowClone(t, origin, tc.branch)
			model, _ := fakeModel(t)
			gh, ghSrv := newFakeGitHubFor(t, "Codertocat/Hello-World")
			event := recordedEvent(t, "push.new-branch.json", func(ev map[string]any) {
				ev["ref"], ev["before"], ev["after"], ev["created"] = "refs/heads/"+tc.branch, base, head, false
			})
			envs := actionEnvFor(t, dir, "push", event, "Codertocat/Hello-World", ghSrv.URL, model.URL)
			envs["INPUT_HISTORY"] = tc.history
			var stdout, stderr bytes.Buffer
			// fakeModel gets two cases wrong under the new wording: the gate
			// fails, and the records are written all the same.
			wantCode := ExitGateFail
			if tc.readmeOnly {
				wantCode = ExitOK
			}
			if code := Main(context.Background(), []string{"check"}, func(k string) string { return envs[k] }, &stdout, &stderr); code != wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, wantCode, stdout.String(), stderr.String())
			}
			gh.mu.Lock()
			defer gh.mu.Unlock()
			out, _ := gh.checkRuns[101]["output"].(map[string]any)
			summary, _ := out["summary"].(string)
			p, ok := projection.Extract(summary)
			if !ok {
				t.Fatalf("check run summary has no hidden line:\n%s", summary)
			}
			var got []string
			for k, r := range p.Prompts {
				if r.PassRate == nil || r.CostPer1K == nil {
					t.Errorf("record of %s lacks figures: %+v", k, r)
				}
				got = append(got, k)
			}
			slices.Sort(got)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("recorded %v, want %v", got, tc.want)
			}
			if tc.readmeOnly && !strings.Contains(summary, "no LLM changes") {
				t.Errorf("a push that changes no prompt is reported as:\n%s", summary)
			}
			if strings.Contains(summary, "### `other`") {
				t.Errorf("the prompt evaluated only for the record is reported:\n%s", summary)
			}
			if gh.historyCalls != 0 {
				t.Errorf("a push read %d history pages; only pull requests chart trends", gh.historyCalls)
			}
		})
	}
}
