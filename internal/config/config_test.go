package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

const specExample = `providers:                 # the first one, or the one named "default", serves bare model names
  default:
    base_url: http://127.0.0.1:11434/v1
    api_key_env: OPENAI_API_KEY
    concurrency: 8
    timeout: 60s
    max_retries: 4
  local:
    base_url: http://127.0.0.1:8000/v1
    concurrency: 2
pricing:                   # USD per 1M tokens; merged over the built-in table
  my-finetune: {input: 0.30, output: 1.20}
traffic:                   # requests per day, per prompt name
  summarize: {requests_per_day: 20000}
budget: {monthly_usd: 5000, alerts: [0.5, 0.8, 1.0]}
gate: {max_cost_increase_pct: 20, fail_on_budget: true}
rollout:
  flags_file: flags/prompts.flagd.json
  steps: [1, 5, 10, 25, 50, 100]
  min_permission: write
  require_check: true
`

func TestParseSpecExample(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(specExample), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	wantProviders := []Provider{
		{Name: "default", BaseURL: "http://127.0.0.1:11434/v1", APIKeyEnv: "OPENAI_API_KEY", Concurrency: 8, Timeout: 60 * time.Second, MaxRetries: 4},
		{Name: "local", BaseURL: "http://127.0.0.1:8000/v1", APIKeyEnv: "OPENAI_API_KEY", Concurrency: 2, Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries},
	}
	if diff := cmp.Diff(wantProviders, c.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if c.DefaultProvider != "default" {
		t.Errorf("default provider = %q", c.DefaultProvider)
	}
	if got := c.Pricing["my-finetune"]; got != (Price{Input: 0.30, Output: 1.20}) {
		t.Errorf("pricing = %+v", got)
	}
	if got := c.Traffic["summarize"].RequestsPerDay; got != 20000 {
		t.Errorf("traffic = %v", got)
	}
	if c.Budget.MonthlyUSD != 5000 || !cmp.Equal(c.Budget.Alerts, []float64{0.5, 0.8, 1.0}) {
		t.Errorf("budget = %+v", c.Budget)
	}
	if c.Gate.MaxCostIncreasePct == nil || *c.Gate.MaxCostIncreasePct != 20 || !c.Gate.FailOnBudget || !c.Gate.FailOnRegression {
		t.Errorf("gate = %+v", c.Gate)
	}
	if c.Rollout.FlagsFile != "flags/prompts.flagd.json" || !c.Rollout.RequireCheck || c.Rollout.MinPermission != "write" {
		t.Errorf("rollout = %+v", c.Rollout)
	}
	if got := c.Line("gate.max_cost_increase_pct"); got != 16 {
		t.Errorf("line of gate.max_cost_increase_pct = %d, want 16", got)
	}
	if got := c.Line("pricing.my-finetune"); got != 12 {
		t.Errorf("line of pricing.my-finetune = %d, want 12", got)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Default()
	if len(c.Providers) != 1 || c.Providers[0].Name != "default" || c.Providers[0].Concurrency != DefaultConcurrency {
		t.Fatalf("providers = %+v", c.Providers)
	}
	if !cmp.Equal(c.Rollout.Steps, DefaultSteps) || !c.Rollout.RequireCheck || c.Rollout.Branch != "" || c.Rollout.MaxCommentAge != 10*time.Minute ||
		c.Rollout.Interval != 10*time.Minute || c.Rollout.FailureLimit != 2 {
		t.Errorf("rollout = %+v", c.Rollout)
	}
	if !cmp.Equal(c.Budget.Alerts, DefaultAlerts) {
		t.Errorf("alerts = %v", c.Budget.Alerts)
	}
	if c.Paths != (Paths{Prompts: "prompts", Evals: "evals", Cache: ".promptgate/cache", Tools: "tools"}) {
		t.Errorf("paths = %+v", c.Paths)
	}
}

func TestFirstProviderIsDefaultWithoutOneNamedDefault(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("providers:\n  zeta: {}\n  alpha: {}\n"), "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultProvider != "zeta" {
		t.Errorf("default = %q, want zeta (first in file order)", c.DefaultProvider)
	}
}

func TestParseRateLimits(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("providers:\n  default:\n    rpm: 500\n    tpm: 200000\n    rate_limit_wait: 90s\n  local: {}\n"), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := Provider{APIKeyEnv: DefaultAPIKeyEnv, Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries}
	limited, local := base, base
	limited.Name, limited.RPM, limited.TPM, limited.RateLimitWait = "default", 500, 200000, 90*time.Second
	local.Name = "local"
	if diff := cmp.Diff([]Provider{limited, local}, c.Providers); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
}

func TestParseAzureProviders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     Provider
	}{
		{name: "explicit with version", in: "base_url: https://corp.example.com/azure\n    azure: true\n    api_version: 2025-01-01-preview",
			want: Provider{BaseURL: "https://corp.example.com/azure", Azure: true, APIVersion: "2025-01-01-preview"}},
		{name: "explicit, default version", in: "base_url: https://gw.example.com\n    azure: true",
			want: Provider{BaseURL: "https://gw.example.com", Azure: true, APIVersion: DefaultAzureAPIVersion}},
		{name: "detected from a bare resource URL", in: "base_url: https://acme.openai.azure.com/",
			want: Provider{BaseURL: "https://acme.openai.azure.com", Azure: true, APIVersion: DefaultAzureAPIVersion}},
		{name: "detected, with version", in: "base_url: https://acme.openai.azure.com\n    api_version: 2024-06-01",
			want: Provider{BaseURL: "https://acme.openai.azure.com", Azure: true, APIVersion: "2024-06-01"}},
		{name: "Azure's OpenAI-compatible v1 path needs no mode", in: "base_url: https://acme.openai.azure.com/openai/v1",
			want: Provider{BaseURL: "https://acme.openai.azure.com/openai/v1"}},
		{name: "explicitly off", in: "base_url: https://acme.openai.azure.com/openai/v1\n    azure: false",
			want: Provider{BaseURL: "https://acme.openai.azure.com/openai/v1"}},
		{name: "not Azure", in: "base_url: http://127.0.0.1:11434/v1",
			want: Provider{BaseURL: "http://127.0.0.1:11434/v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Parse([]byte("providers:\n  az:\n    "+tt.in+"\n"), "promptgate.yaml")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Name, want.APIKeyEnv, want.Concurrency, want.Timeout, want.MaxRetries = "az", DefaultAPIKeyEnv, DefaultConcurrency, DefaultTimeout, DefaultMaxRetries
			if diff := cmp.Diff([]Provider{want}, c.Providers); diff != "" {
				t.Errorf("providers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"unknown top-level key", "providers: {}\nbugdet: {monthly_usd: 3}\n", `promptgate.yaml:2: bugdet: unknown key (did you mean "budget"?); top-level keys are: budget,`},
		{"unknown nested key", "gate:\n  max_cost_increase: 20\n", `promptgate.yaml:2: gate.max_cost_increase: unknown key (did you mean "max_cost_increase_pct"?); gate takes: alpha, fail_on_budget,`},
		{"malformed yaml", "providers:\n  default: {base_url: [\n", "promptgate.yaml:2: did not find expected node content"},
		{"wrong type", "budget:\n  monthly_usd: lots\n", `promptgate.yaml:2: budget.monthly_usd: want a number, got "lots"`},
		{"bad timeout", "providers:\n  default:\n    timeout: soon\n", "promptgate.yaml:3: providers.default.timeout \"soon\""},
		{"bad concurrency", "providers:\n  default:\n    concurrency: 0\n", "promptgate.yaml:3: providers.default.concurrency must be between 1 and 1024"},
		{"price missing output", "pricing:\n  m: {input: 1}\n", "promptgate.yaml:2: pricing.m needs both input and output"},
		{"bad step", "rollout:\n  steps: [5, 150]\n", "promptgate.yaml:2: rollout.steps must be percentages"},
		{"bad permission", "rollout:\n  min_permission: god\n", "promptgate.yaml:2: rollout.min_permission \"god\""},
		{"bad flags file", "rollout:\n  flags_file: flags.txt\n", "promptgate.yaml:2: rollout.flags_file"},
		{"bad comment age", "rollout:\n  max_comment_age: soon\n", "promptgate.yaml:2: rollout.max_comment_age \"soon\""},
		{"zero comment age", "rollout:\n  max_comment_age: 0s\n", "promptgate.yaml:2: rollout.max_comment_age \"0s\""},
		{"bad interval", "rollout:\n  interval: soon\n", "promptgate.yaml:2: rollout.interval \"soon\" must be a duration"},
		{"interval too short", "rollout:\n  steps: [1]\n  interval: 10ms\n", "promptgate.yaml:3: rollout.interval \"10ms\""},
		{"zero failure limit", "rollout:\n  failure_limit: 0\n", "promptgate.yaml:2: rollout.failure_limit must be 1 or more"},
		{"provider with slash", "providers:\n  a/b: {}\n", "promptgate.yaml:2: provider name"},
		{"azure without base_url", "providers:\n  az:\n    azure: true\n", "promptgate.yaml:3: providers.az.azure needs base_url"},
		{"api_version without azure", "providers:\n  default:\n    base_url: http://127.0.0.1:4000/v1\n    api_version: 2024-10-21\n", "promptgate.yaml:4: providers.default.api_version is only sent to Azure OpenAI"},
		{"api_version with azure off", "providers:\n  az:\n    base_url: https://x.example.com\n    azure: false\n    api_version: 2024-10-21\n", "promptgate.yaml:5: providers.az.api_version is only sent"},
		{"azure off on a resource URL", "providers:\n  az:\n    base_url: https://x.openai.azure.com\n    azure: false\n", "promptgate.yaml:4: providers.az.azure cannot be false"},
		{"bad api_version", "providers:\n  az:\n    base_url: https://x.openai.azure.com\n    api_version: 2024-10-21&x=1\n", "promptgate.yaml:4: providers.az.api_version \"2024-10-21&x=1\" is not an api-version"},
		{"azure not a bool", "providers:\n  az:\n    azure: maybe\n", `promptgate.yaml:3: providers.az.azure: want true or false, got "maybe"`},
		{"azure key misspelt", "providers:\n  az:\n    azur: true\n", `promptgate.yaml:3: providers.az.azur: unknown key (did you mean "azure"?)`},
		{"bad rpm", "providers:\n  default:\n    rpm: 0\n", "promptgate.yaml:3: providers.default.rpm (requests per minute) must be between 1"},
		{"bad tpm", "providers:\n  default:\n    tpm: -5\n", "promptgate.yaml:3: providers.default.tpm (tokens per minute) must be between 1"},
		{"bad rate_limit_wait", "providers:\n  default:\n    rate_limit_wait: forever\n", "promptgate.yaml:3: providers.default.rate_limit_wait \"forever\""},
		{"no url", "rollout:\n  analysis:\n    - {name: e, query: 'x{v=\"{{variant}}\"}', max: 1}\n", "promptgate.yaml:2: rollout.analysis needs rollout.prometheus_url"},
		{"bad url", "rollout:\n  prometheus_url: ftp://x\n", "promptgate.yaml:2: rollout.prometheus_url \"ftp://x\""},
		{"no bound", analysisURL + "    - {name: e, query: 'x{v=\"{{variant}}\"}'}\n", "promptgate.yaml:4: rollout.analysis[0] (e) needs exactly one of max, min or max_increase_pct, got 0"},
		{"two bounds", analysisURL + "    - {name: ok, query: 'x{v=\"{{variant}}\"}', max: 1}\n    - {name: e, query: 'x{v=\"{{variant}}\"}', max: 1, min: 0}\n", "promptgate.yaml:5: rollout.analysis[1] (e) needs exactly one"},
		{"no variant", analysisURL + "    - {name: e, query: 'x{f=\"{{flag}}\"}', max: 1}\n", "rollout.analysis[0] (e): the query must use {{variant}}"},
		{"typo placeholder", analysisURL + "    - {name: e, query: 'x{v=\"{{variant}}\",f=\"{{flg}}\"}', max: 1}\n", "unknown placeholder \"{{flg}}\""},
		{"placeholder outside quotes", analysisURL + "    - {name: e, query: 'x{v=~{{variant}}}', max: 1}\n", "rollout.analysis[0] (e): put {{variant}} inside a double-quoted string"},
		{"no name", analysisURL + "    - {query: 'x{v=\"{{variant}}\"}', max: 1}\n", "rollout.analysis[0] needs a name"},
		{"duplicate name", analysisURL + "    - {name: e, query: 'x{v=\"{{variant}}\"}', max: 1}\n    - {name: e, query: 'y{v=\"{{variant}}\"}', max: 1}\n", "promptgate.yaml:5: rollout.analysis[1] (e): the name is used twice"},
		{"negative pct", analysisURL + "    - {name: e, query: 'x{v=\"{{variant}}\"}', max_increase_pct: -5}\n", "max_increase_pct must be 0 or more"},
		{"unknown key", analysisURL + "    - {name: e, query: 'x{v=\"{{variant}}\"}', maximum: 1}\n", "promptgate.yaml:4: rollout.analysis[0].maximum: unknown key; rollout.analysis[0] takes: max, max_increase_pct, min, name, query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tt.in), "promptgate.yaml")
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSectionIgnoresFormatting(t *testing.T) {
	t.Parallel()
	a, err := Parse([]byte("pricing:\n  m: {input: 1, output: 2}  # note\ntraffic: {s: {requests_per_day: 3}}\n"), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Parse([]byte("traffic:\n  s:\n    requests_per_day: 3\npricing:\n  m:\n    output: 2\n    input: 1\n"), "b")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"pricing", "traffic", "providers"} {
		if a.Section(s) != b.Section(s) {
			t.Errorf("section %s differs: %q vs %q", s, a.Section(s), b.Section(s))
		}
	}
}

func TestPermissionAtLeast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		have, want string
		ok         bool
	}{
		{"admin", "write", true}, {"write", "write", true}, {"maintain", "write", true},
		{"triage", "write", false}, {"read", "write", false}, {"none", "read", false}, {"bogus", "read", false},
	}
	for _, tt := range tests {
		if got := PermissionAtLeast(tt.have, tt.want); got != tt.ok {
			t.Errorf("PermissionAtLeast(%q, %q) = %v", tt.have, tt.want, got)
		}
	}
}

func TestResolveBaseURL(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OPENAI_BASE_URL": "http://127.0.0.1:4000/v1"}
	p := Provider{}
	if got := p.ResolveBaseURL(func(k string) string { return env[k] }); got != "http://127.0.0.1:4000/v1" {
		t.Errorf("got %q", got)
	}
	if got := p.ResolveBaseURL(func(string) string { return "" }); got != "https://api.openai.com/v1" {
		t.Errorf("got %q", got)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(specExample))
	f.Add([]byte("providers: {a: {timeout: 1s}}\n"))
	f.Add([]byte("rollout: {steps: []}\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("providers:\n  az: {base_url: https://x.openai.azure.com, azure: true, api_version: 2024-10-21}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "f.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error does not name the file: %q", err)
			}
			return
		}
		if len(c.Providers) == 0 || c.DefaultProvider == "" {
			t.Fatalf("valid config without a default provider: %+v", c)
		}
		if _, ok := c.Provider(c.DefaultProvider); !ok {
			t.Fatalf("default provider %q not among providers", c.DefaultProvider)
		}
		for _, p := range c.Providers {
			if p.Azure != (p.APIVersion != "") {
				t.Fatalf("provider %q: azure %v with api_version %q", p.Name, p.Azure, p.APIVersion)
			}
		}
	})
}

func TestMaxCommentAge(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("rollout:\n  max_comment_age: 2m30s\n"), "promptgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Rollout.MaxCommentAge != 150*time.Second {
		t.Errorf("max_comment_age = %v, want 2m30s", c.Rollout.MaxCommentAge)
	}
}

// flexible stands for a raw type that decodes itself from more than one shape.
type flexible struct{ v string }

func (f *flexible) UnmarshalYAML(n *yaml.Node) error { f.v = n.Value; return nil }

// TestShapeLeavesSelfDecodingAndAnyTypes: the shape check judges only the
// shapes it knows, so a key added later with `any` or its own UnmarshalYAML is
// not reported as the wrong type.
func TestShapeLeavesSelfDecodingAndAnyTypes(t *testing.T) {
	t.Parallel()
	type raw struct {
		Any  any       `yaml:"any"`
		Flex *flexible `yaml:"flex"`
		N    *int      `yaml:"n"`
	}
	var root yaml.Node
	if err := yaml.Unmarshal([]byte("any: {a: [1]}\nflex: short\nn: x\n"), &root); err != nil {
		t.Fatal(err)
	}
	var errs diag.List
	shapeNode("p.yaml", root.Content[0], reflect.TypeFor[raw](), "", &errs)
	if got := errs.Error(); got != `p.yaml:3: n: want a whole number, got "x"` {
		t.Errorf("errors = %q, want only the one about n", got)
	}
}
