package assert

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The oracle: testdata/promptfoo-oracle/oracle.json holds parity cases with
// the verdict the real promptfoo 0.121.20 gave on each, recorded by
// scripts/promptfoo-oracle against a local echo server. TestPromptfooOracle
// grades every case with this package and fails on any disagreement that
// docs/assertions.md does not list as deliberate.

const (
	oraclePath = "../../testdata/promptfoo-oracle/oracle.json"
	docsPath   = "../../docs/assertions.md"
)

type oracleCase struct {
	ID        string          `json:"id"`
	Output    string          `json:"output"`
	Judge     string          `json:"judge"`
	Vars      map[string]any  `json:"vars"`
	Threshold *float64        `json:"threshold"`
	Assert    json.RawMessage `json:"assert"`
	Verdict   oracleVerdict   `json:"verdict"`
}

type oracleVerdict struct {
	Error     bool    `json:"error"`
	Pass      bool    `json:"pass"`
	Score     float64 `json:"score"`
	Reason    string  `json:"reason"`
	LatencyMs float64 `json:"latency_ms"`
	Cost      float64 `json:"cost"`
}

func (v oracleVerdict) String() string {
	if v.Error {
		return "error: " + clipN(v.Reason, 120)
	}
	return fmt.Sprintf("pass=%t score=%.3g (%s)", v.Pass, v.Score, clipN(v.Reason, 120))
}

func loadOracle(t *testing.T) []oracleCase {
	t.Helper()
	data, err := os.ReadFile(oraclePath)
	if err != nil {
		t.Fatalf("read oracle: %v", err)
	}
	var g struct {
		Promptfoo string       `json:"promptfoo"`
		Cases     []oracleCase `json:"cases"`
	}
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatalf("decode oracle: %v", err)
	}
	if g.Promptfoo != "0.121.20" {
		t.Fatalf("oracle recorded with promptfoo %s, want 0.121.20", g.Promptfoo)
	}
	return g.Cases
}

// gradeOracleCase grades one case as a suite file would: the assertions are
// decoded as YAML (so numbers keep the types the suite parser gives them) and
// compiled, then evaluated with promptfoo's recorded cost and latency.
func gradeOracleCase(c oracleCase) oracleVerdict {
	var raw []map[string]any
	if err := yaml.Unmarshal(c.Assert, &raw); err != nil {
		return oracleVerdict{Error: true, Reason: "decode: " + err.Error()}
	}
	var asserts []Assertion
	for _, m := range raw {
		var s Spec
		for k, v := range m {
			switch k {
			case "type":
				s.Type, _ = v.(string)
			case "value":
				s.Value = v
			case "threshold", "weight":
				f, ok := toFloat(v)
				if !ok {
					return oracleVerdict{Error: true, Reason: k + " must be a number"}
				}
				if k == "threshold" {
					s.Threshold = &f
				} else {
					s.Weight = &f
				}
			default:
				return oracleVerdict{Error: true, Reason: "unknown key " + k}
			}
		}
		a, err := Compile("oracle.yaml", 1, s)
		if err != nil {
			return oracleVerdict{Error: true, Reason: err.Error()}
		}
		asserts = append(asserts, a)
	}
	out := Output{
		Text: c.Output, Vars: c.Vars, Prompt: c.ID,
		CostUSD: c.Verdict.Cost, CostKnown: c.Verdict.Cost > 0,
		Latency: time.Duration(c.Verdict.LatencyMs * float64(time.Millisecond)),
	}
	g, err := Evaluate(context.Background(), asserts, c.Threshold, out, Env{Judge: &fakeJudge{reply: c.Judge}, JudgeModel: "judge"})
	if err != nil {
		return oracleVerdict{Error: true, Reason: err.Error()}
	}
	return oracleVerdict{Pass: g.Pass, Score: g.Score, Reason: g.Reason}
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

func agrees(pf, pg oracleVerdict) bool {
	if pf.Error || pg.Error {
		return pf.Error == pg.Error
	}
	return pf.Pass == pg.Pass && math.Abs(pf.Score-pg.Score) < 1e-9
}

// listedDifferences reads the case-id patterns (`id` or `prefix-*`) quoted in
// the "Deliberate differences" section of docs/assertions.md.
func listedDifferences(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(docsPath)
	if err != nil {
		t.Fatalf("read docs: %v", err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Deliberate differences from promptfoo\n")
	if !ok {
		t.Fatalf("%s has no \"## Deliberate differences from promptfoo\" section", docsPath)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var pats []string
	for _, m := range regexp.MustCompile("oracle: ([^.\n]+)").FindAllStringSubmatch(section, -1) {
		for _, p := range regexp.MustCompile("`([a-z0-9*-]+)`").FindAllStringSubmatch(m[1], -1) {
			pats = append(pats, p[1])
		}
	}
	return pats
}

func TestPromptfooOracle(t *testing.T) {
	t.Parallel()
	cases := loadOracle(t)
	if len(cases) < 400 {
		t.Errorf("oracle has %d cases, want at least 400", len(cases))
	}
	pats := listedDifferences(t)
	used := map[string]bool{}
	agree := 0
	for _, c := range cases {
		pg := gradeOracleCase(c)
		if agrees(c.Verdict, pg) {
			agree++
			continue
		}
		listed := false
		for _, p := range pats {
			if ok, _ := path.Match(p, c.ID); ok {
				listed, used[p] = true, true
			}
		}
		if !listed {
			t.Errorf("%s: promptfoo %v; promptgate %v", c.ID, c.Verdict, pg)
		}
	}
	for _, p := range pats {
		if !used[p] {
			t.Errorf("docs/assertions.md lists oracle case %s as a difference, but no such case disagrees", p)
		}
	}
	t.Logf("oracle: %d cases, %d agree with promptfoo 0.121.20, %d listed differences", len(cases), agree, len(cases)-agree)
}
