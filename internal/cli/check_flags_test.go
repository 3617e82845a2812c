package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/projection"
)

const flagsConfig = `pricing:
  m-stable: {input: 1, output: 0}
  m-rollout: {input: 4, output: 0}
traffic:
  summarize: {requests_per_day: 10000}
rollout:
  flags_file: %s
`

const flagsJSON = `{
  "flags": {
    "summarize-prompt": {
      "state": "ENABLED",
      "variants": {"stable": "summarize", "v2": "summarize.v2"},
      "defaultVariant": "stable",
      "targeting": {"fractional": [["stable", 75], ["v2", 25]]}
    },
    "other": {
      "state": "ENABLED",
      "variants": {"on": true, "off": false},
      "defaultVariant": "off"
    }
  }
}
`

const flagsYAML = `flags:
  summarize-prompt:
    state: ENABLED
    variants:
      stable: summarize
      v2: summarize.v2
    defaultVariant: stable
    # weights 3:1 are 25%
    targeting:
      fractional:
        - [stable, 3]
        - [v2, 1]
`

// flagsRepo commits a base where flag summarize-prompt splits summarize and
// summarize.v2 (flags at baseFlags in file), then a head that rewords both
// variants and holds headFlags. It returns the repo and the base commit.
func flagsRepo(t *testing.T, file, baseFlags, headFlags string) (dir, base string) {
	t.Helper()
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	suite := "prompt: summarize\n%sthreshold: 1\ntests:\n  - description: good\n    vars: {text: \"a good day\"}\n    assert: [{type: icontains, value: positive}]\n"
	files := func(wording, flags string) map[string]string {
		return map[string]string{
			"promptgate.yaml":             fmt.Sprintf(flagsConfig, file),
			file:                          flags,
			"prompts/summarize.prompt":    fmt.Sprintf(scenarioPrompt, "m-stable", wording),
			"prompts/summarize.v2.prompt": fmt.Sprintf(scenarioPrompt, "m-rollout", wording+" briefly"),
			"evals/summarize.yaml":        fmt.Sprintf(suite, ""),
			"evals/summarize-v2.yaml":     fmt.Sprintf(suite, "variant: v2\n"),
		}
	}
	writeFiles(t, dir, files("Classify the sentiment", baseFlags))
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, files("Classify the overall sentiment", headFlags))
	git(t, dir, "commit", "-qam", "head: both variants reworded")
	return dir, base
}

// TestCheckProjectsAtFlagShare: a flag rolls summarize.v2 out to 25% of the
// summarize traffic. Both variants are re-evaluated, so the monthly projection
// is 0.75 × stable + 0.25 × rollout, each variant's table says its share, and
// the hidden projection line the GitHub App reads carries both variants at 100%.
func TestCheckProjectsAtFlagShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		flagsFile string
		flags     string
	}{
		{"json", "flags/prompts.flagd.json", flagsJSON},
		{"yaml", "flags/prompts.flagd.yaml", flagsYAML},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir, base := flagsRepo(t, tc.flagsFile, tc.flags, tc.flags)

			model, calls := fakeModel(t)
			env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
			reportPath := filepath.Join(t.TempDir(), "report.json")
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--report-json", reportPath,
				"--cache-dir", filepath.Join(t.TempDir(), "cache")}, func(k string) string { return env[k] }, &stdout, &stderr)
			if code != ExitOK {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
			}
			if *calls != 4 {
				t.Errorf("model calls = %d, want 4 (2 variants × base and head)", *calls)
			}

			// The fake model reports 200 input tokens a call: $0.0002 a request
			// on m-stable, $0.0008 on m-rollout, at 10,000 requests a day.
			stable := cost.MonthlyCost(200*1.0/1e6, 10000)
			rollout := cost.MonthlyCost(200*4.0/1e6, 10000)
			raw, err := os.ReadFile(reportPath)
			if err != nil {
				t.Fatal(err)
			}
			var rep struct {
				Result struct {
					HeadMonthly float64
					Prompts     []struct {
						Key         string
						Flag        string
						Share       float64
						HeadMonthly float64
					}
					Projection projection.Projection
				}
			}
			if err := json.Unmarshal(raw, &rep); err != nil {
				t.Fatal(err)
			}
			approx := cmpopts.EquateApprox(0, 1e-9)
			if diff := cmp.Diff(0.75*stable+0.25*rollout, rep.Result.HeadMonthly, approx); diff != "" {
				t.Errorf("head monthly (-want +got):\n%s", diff)
			}
			type share struct {
				Key, Flag      string
				Share, Monthly float64
			}
			var got []share
			for _, p := range rep.Result.Prompts {
				got = append(got, share{p.Key, p.Flag, p.Share, p.HeadMonthly})
			}
			want := []share{{"summarize", "summarize-prompt", 0.75, 0.75 * stable}, {"summarize.v2", "summarize-prompt", 0.25, 0.25 * rollout}}
			if diff := cmp.Diff(want, got, approx, cmpopts.SortSlices(func(a, b share) bool { return a.Key < b.Key })); diff != "" {
				t.Errorf("per-variant shares (-want +got):\n%s", diff)
			}
			wantProj := projection.Projection{Flags: map[string]projection.FlagCost{
				"summarize-prompt": {StableMonthlyUSD: stable, RolloutMonthlyUSD: rollout}}}
			if diff := cmp.Diff(wantProj.Flags, rep.Result.Projection.Flags, approx); diff != "" {
				t.Errorf("report projection (-want +got):\n%s", diff)
			}
			// The hidden line also records each evaluated prompt for trends.
			for key, per1K := range map[string]float64{"summarize": 0.2, "summarize.v2": 0.8} {
				r, ok := rep.Result.Projection.Prompts[key]
				if !ok || r.PassRate == nil || *r.PassRate != 1 || r.CostPer1K == nil || math.Abs(*r.CostPer1K-per1K) > 1e-9 || len(r.Hash) != 12 {
					t.Errorf("record of %s = %+v, want pass rate 1, $%v per 1k and a 12-digit hash", key, r, per1K)
				}
			}
			line, ok := projection.Extract(stdout.String())
			if !ok {
				t.Fatalf("no projection line in the summary:\n%s", stdout.String())
			}
			if diff := cmp.Diff(wantProj.Flags, line.Flags, approx); diff != "" {
				t.Errorf("summary projection line (-want +got):\n%s", diff)
			}
			if got := line.Flags["summarize-prompt"].AtShare(25); math.Abs(got-rep.Result.HeadMonthly) > 1e-9 {
				t.Errorf("the App's quote at 25%% is %v, the check projects %v", got, rep.Result.HeadMonthly)
			}
		})
	}
}

// TestCheckSplitFromBase: a change that lowers the dearer variant's share in
// the flags file, in the same commit as a rewording, is projected at base's
// 25%, not its own 0%; the edit is listed under Config changes and marked on
// the affected reason, and takes effect after merge.
func TestCheckSplitFromBase(t *testing.T) {
	t.Parallel()
	const file = "flags/prompts.flagd.json"
	zero := strings.Replace(flagsJSON, `[["stable", 75], ["v2", 25]]`, `[["stable", 100], ["v2", 0]]`, 1)
	dir, base := flagsRepo(t, file, flagsJSON, zero) // head also sets the dear variant's share to 0%

	model, _ := fakeModel(t)
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": model.URL + "/v1"}
	reportPath := filepath.Join(t.TempDir(), "report.json")
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--report-json", reportPath,
		"--cache-dir", filepath.Join(t.TempDir(), "cache")}, func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	raw, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Result struct {
			HeadMonthly float64
			Prompts     []struct {
				Key     string
				Share   float64
				Reasons []string
			}
		}
	}
	if err := json.Unmarshal(raw, &rep); err != nil {
		t.Fatal(err)
	}
	stable, rollout := cost.MonthlyCost(200*1.0/1e6, 10000), cost.MonthlyCost(200*4.0/1e6, 10000)
	if want := 0.75*stable + 0.25*rollout; math.Abs(rep.Result.HeadMonthly-want) > 1e-6 {
		t.Errorf("head monthly = %.4f, want %.4f (base's 25%% share)", rep.Result.HeadMonthly, want)
	}
	for _, p := range rep.Result.Prompts {
		if p.Key == "summarize.v2" && p.Share != 0.25 {
			t.Errorf("summarize.v2 share = %v, want 0.25", p.Share)
		}
	}
	out := stdout.String()
	for _, want := range []string{"flag summarize-prompt rollout share", "25%", "0%", "projected at base's 25% until merged",
		"flag summarize-prompt rollout changed (projected at base's share until merged)"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
