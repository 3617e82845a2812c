package config

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const rulesBase = `providers:
  default:
    base_url: http://127.0.0.1:11434/v1
  local:
    base_url: http://127.0.0.1:8000/v1
pricing:
  gpt-4.1: {input: 2, output: 8}
traffic:
  summarize: {requests_per_day: 20000}
budget: {monthly_usd: 500}
gate: {max_cost_increase_pct: 20}
defaults: {model: gpt-4.1}
`

const rulesHead = `providers:
  default:
    base_url: https://user:hunter2@evil.example/v1
  local:
    base_url: http://127.0.0.1:8000/v1
  mine:
    base_url: http://127.0.0.1:9999/v1
pricing:
  gpt-4.1: {input: 0, output: 0}
traffic:
  summarize: {requests_per_day: 1}
budget: {monthly_usd: 1000000}
gate: {fail_on_regression: false, fail_on_threshold: false}
defaults: {model: gpt-4.1-mini}
`

func mustParse(t *testing.T, doc string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc), FileName)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRuleChanges lists every rule key head edits, with head's line, the
// values as written (credentials redacted), and what the check does instead.
func TestRuleChanges(t *testing.T) {
	t.Parallel()
	got := RuleChanges(mustParse(t, rulesBase), mustParse(t, rulesHead))
	want := []RuleChange{
		{Key: "providers.default.base_url", File: FileName, Line: 3, Base: "http://127.0.0.1:11434/v1", Head: "https://REDACTED@evil.example/v1", Effect: "base's provider used"},
		{Key: "providers.mine.base_url", File: FileName, Line: 7, Head: "http://127.0.0.1:9999/v1", Effect: "a provider this change adds: not called before merge"},
		{Key: "pricing.gpt-4.1", File: FileName, Line: 9, Base: `{"input":2,"output":8}`, Head: `{"input":0,"output":0}`},
		{Key: "traffic.summarize", File: FileName, Line: 11, Base: `{"requests_per_day":20000}`, Head: `{"requests_per_day":1}`},
		{Key: "budget.monthly_usd", File: FileName, Line: 12, Base: "500", Head: "1000000"},
		{Key: "gate.fail_on_regression", File: FileName, Line: 13, Head: "false"},
		{Key: "gate.fail_on_threshold", File: FileName, Line: 13, Head: "false"},
		{Key: "gate.max_cost_increase_pct", File: FileName, Line: 13, Base: "20"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RuleChanges (-want +got):\n%s", diff)
	}
	if RuleChanges(mustParse(t, rulesBase), mustParse(t, rulesBase+"# a comment\n")) != nil {
		t.Error("a comment is a rule change")
	}
}

// TestWithRulesFrom: the rules in force are base's; head keeps its defaults,
// and a provider only head has is kept, marked untrusted, so a model string
// that names it is refused instead of reaching base's default endpoint.
func TestWithRulesFrom(t *testing.T) {
	t.Parallel()
	base, head := mustParse(t, rulesBase), mustParse(t, rulesHead)
	got := head.WithRulesFrom(base)
	if d, _ := got.Provider("default"); d.BaseURL != "http://127.0.0.1:11434/v1" || d.Untrusted != "" {
		t.Errorf("default provider = %+v, want base's", d)
	}
	if m, ok := got.Provider("mine"); !ok || m.Untrusted == "" {
		t.Errorf("provider mine = %+v, %t; want kept and untrusted", m, ok)
	}
	if got.Pricing["gpt-4.1"].Input != 2 || got.Traffic["summarize"].RequestsPerDay != 20000 || got.Budget.MonthlyUSD != 500 ||
		!got.Gate.FailOnRegression || !got.Gate.FailOnThreshold || got.Gate.MaxCostIncreasePct == nil {
		t.Errorf("rules = %+v %+v %+v %+v, want base's", got.Pricing, got.Traffic, got.Budget, got.Gate)
	}
	if got.Defaults.Model != "gpt-4.1-mini" {
		t.Errorf("defaults.model = %q, want head's", got.Defaults.Model)
	}
	for _, s := range RuleSections {
		if got.Section(s) != base.Section(s) {
			t.Errorf("Section(%s) is head's, want base's", s)
		}
	}
	if rc := RuleChanges(base, got); len(rc) != 0 {
		t.Errorf("RuleChanges(base, rules) = %+v, want none", rc)
	}
	if head.Pricing["gpt-4.1"].Input != 0 || len(head.Providers) != 3 {
		t.Error("WithRulesFrom changed its receiver")
	}
}

// TestReservedKeyEnv: api_key_env may not name the runner's or the workflow's
// variables, in any case; the error names the file and line.
func TestReservedKeyEnv(t *testing.T) {
	t.Parallel()
	for name, reserved := range map[string]bool{
		"GITHUB_TOKEN": true, "github_token": true, "INPUT_GITHUB-TOKEN": true, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": true,
		"ACTIONS_RUNTIME_TOKEN": true, "RUNNER_TEMP": true, "OPENAI_API_KEY": false, "MY_GITHUB_TOKEN": false, "AZURE_OPENAI_KEY": false,
	} {
		_, err := Parse([]byte("providers:\n  default:\n    api_key_env: "+name+"\n"), FileName)
		if (err != nil) != reserved {
			t.Errorf("api_key_env %s: err = %v, want reserved %t", name, err, reserved)
			continue
		}
		if reserved && !strings.HasPrefix(err.Error(), "promptgate.yaml:3: providers.default.api_key_env") {
			t.Errorf("api_key_env %s: error %q does not name promptgate.yaml:3", name, err)
		}
	}
}

// TestBaseURLErrorHidesCredentials: a base URL that does not validate is
// quoted without its userinfo.
func TestBaseURLErrorHidesCredentials(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte("providers:\n  default:\n    base_url: ftp://me:hunter2@host/v1\n"), FileName)
	if err == nil || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "ftp://REDACTED@host/v1") {
		t.Errorf("error = %v, want the URL with its credentials redacted", err)
	}
}
