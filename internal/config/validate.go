package config

import (
	"cmp"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// validator turns raw sections into typed ones, collecting every problem with its line.
type validator struct {
	file  string
	lines map[string]int
	errs  diag.List
}

func (v *validator) errorf(key, format string, args ...any) {
	line := v.lines[key]
	for line == 0 && strings.Contains(key, ".") {
		key = key[:strings.LastIndex(key, ".")]
		line = v.lines[key]
	}
	v.errs = append(v.errs, diag.Errorf(v.file, line, format, args...))
}

// providers keeps file order (map decoding loses it) by reading key order from the node tree.
func (v *validator) providers(c *Config, raw map[string]rawProvider, root *yaml.Node) {
	order := providerOrder(root)
	if len(raw) == 0 {
		c.Providers = []Provider{{Name: defaultProviderName, APIKeyEnv: DefaultAPIKeyEnv,
			Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries}}
		c.DefaultProvider = defaultProviderName
		return
	}
	for _, name := range order {
		rp, ok := raw[name]
		if !ok {
			continue
		}
		key := "providers." + name
		if strings.ContainsAny(name, "/ ") || name == "" {
			v.errorf(key, "provider name %q must not contain '/' or spaces", name)
		}
		p := Provider{Name: name, BaseURL: strings.TrimRight(rp.BaseURL, "/"), APIKeyEnv: DefaultAPIKeyEnv,
			Concurrency: DefaultConcurrency, Timeout: DefaultTimeout, MaxRetries: DefaultMaxRetries}
		if rp.BaseURL != "" && !strings.HasPrefix(rp.BaseURL, "http://") && !strings.HasPrefix(rp.BaseURL, "https://") {
			v.errorf(key+".base_url", "providers.%s.base_url %q must start with http:// or https://", name, RedactURL(rp.BaseURL))
		}
		if rp.APIKeyEnv != "" {
			if prefix, ok := ReservedKeyEnv(rp.APIKeyEnv); ok {
				v.errorf(key+".api_key_env", "providers.%s.api_key_env %q names a %s* variable, which GitHub Actions and promptgate reserve for "+
					"the runner and the workflow's token: a config that a pull request can edit must not be able to send them to a model endpoint; "+
					"keep the model key in its own variable, such as OPENAI_API_KEY", name, rp.APIKeyEnv, prefix)
			}
			p.APIKeyEnv = rp.APIKeyEnv
		}
		if rp.Concurrency != nil {
			if *rp.Concurrency < 1 || *rp.Concurrency > 1024 {
				v.errorf(key+".concurrency", "providers.%s.concurrency must be between 1 and 1024, got %d", name, *rp.Concurrency)
			}
			p.Concurrency = *rp.Concurrency
		}
		if rp.Timeout != nil {
			d, err := time.ParseDuration(*rp.Timeout)
			if err != nil || d <= 0 {
				v.errorf(key+".timeout", "providers.%s.timeout %q is not a positive duration like 60s or 2m", name, *rp.Timeout)
			}
			p.Timeout = d
		}
		if rp.MaxRetries != nil {
			if *rp.MaxRetries < 0 || *rp.MaxRetries > 20 {
				v.errorf(key+".max_retries", "providers.%s.max_retries must be between 0 and 20, got %d", name, *rp.MaxRetries)
			}
			p.MaxRetries = *rp.MaxRetries
		}
		v.rateLimits(&p, key, rp)
		v.azure(&p, key, rp)
		c.Providers = append(c.Providers, p)
	}
	c.DefaultProvider = c.Providers[0].Name
	if _, ok := raw[defaultProviderName]; ok {
		c.DefaultProvider = defaultProviderName
	}
}

// rateLimits validates a provider's rpm, tpm and rate_limit_wait keys.
func (v *validator) rateLimits(p *Provider, key string, rp rawProvider) {
	if rp.RPM != nil {
		if *rp.RPM < 1 || *rp.RPM > 100_000_000 {
			v.errorf(key+".rpm", "providers.%s.rpm (requests per minute) must be between 1 and 100000000, got %d", p.Name, *rp.RPM)
		}
		p.RPM = *rp.RPM
	}
	if rp.TPM != nil {
		if *rp.TPM < 1 || *rp.TPM > 1_000_000_000_000 {
			v.errorf(key+".tpm", "providers.%s.tpm (tokens per minute) must be between 1 and 1000000000000, got %d", p.Name, *rp.TPM)
		}
		p.TPM = *rp.TPM
	}
	if rp.RateLimitWait != nil {
		d, err := time.ParseDuration(*rp.RateLimitWait)
		if err != nil || d <= 0 || d > 24*time.Hour {
			v.errorf(key+".rate_limit_wait", "providers.%s.rate_limit_wait %q is not a duration between 1s and 24h, like 5m", p.Name, *rp.RateLimitWait)
		}
		p.RateLimitWait = d
	}
}

// azure validates a provider's azure and api_version keys. Azure mode is on
// when asked for, or when the base URL is a bare Azure OpenAI resource, which
// the model client detects the same way.
func (v *validator) azure(p *Provider, key string, rp rawProvider) {
	p.Azure = isAzureResource(p.BaseURL)
	if rp.Azure != nil {
		switch {
		case *rp.Azure && rp.BaseURL == "":
			v.errorf(key+".azure", "providers.%s.azure needs base_url, the resource endpoint (https://NAME.openai.azure.com)", p.Name)
		case !*rp.Azure && p.Azure:
			v.errorf(key+".azure", "providers.%s.azure cannot be false for a bare Azure resource URL, which only serves the deployment API; "+
				"use %s/openai/v1 for Azure's OpenAI-compatible API", p.Name, RedactURL(p.BaseURL))
		}
		p.Azure = *rp.Azure
	}
	if rp.APIVersion != "" {
		if !p.Azure {
			v.errorf(key+".api_version", "providers.%s.api_version is only sent to Azure OpenAI: set azure: true, or remove it", p.Name)
		}
		if strings.ContainsAny(rp.APIVersion, " \t/?&#") {
			v.errorf(key+".api_version", "providers.%s.api_version %q is not an api-version like %s", p.Name, rp.APIVersion, DefaultAzureAPIVersion)
		}
	}
	if p.Azure {
		p.APIVersion = cmp.Or(rp.APIVersion, DefaultAzureAPIVersion)
	}
}

// isAzureResource reports whether a base URL is an Azure OpenAI resource
// endpoint with no path (https://NAME.openai.azure.com), the form that needs
// the deployment API. Azure's OpenAI-compatible /openai/v1 path does not.
func isAzureResource(baseURL string) bool {
	u, err := url.Parse(baseURL)
	return err == nil && strings.HasSuffix(u.Hostname(), ".openai.azure.com") && strings.Trim(u.Path, "/") == ""
}

// reservedKeyEnvPrefixes are the environment variable families api_key_env may
// not name: the runner's own (RUNNER_*), the Actions runtime's tokens
// (ACTIONS_*), the workflow's token and context (GITHUB_*) and step inputs,
// which carry the action's github-token (INPUT_*).
var reservedKeyEnvPrefixes = []string{"GITHUB_", "ACTIONS_", "INPUT_", "RUNNER_"}

// ReservedKeyEnv reports whether name belongs to a variable family that
// api_key_env may not name, and which prefix it matched. The comparison
// ignores case, as Windows runners do.
func ReservedKeyEnv(name string) (string, bool) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	for _, p := range reservedKeyEnvPrefixes {
		if strings.HasPrefix(upper, p) {
			return p, true
		}
	}
	return "", false
}

// RedactURL hides the credentials a URL carries in its userinfo
// ("https://user:secret@proxy/v1" becomes "https://REDACTED@proxy/v1"), so a
// base URL can be named in messages and reports. It works on any text, so
// the model client's error messages that quote a URL go through it too.
func RedactURL(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return userinfoRE.ReplaceAllString(s, "${1}REDACTED@")
}

var userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s"'<>]*@`)

func providerOrder(root *yaml.Node) []string {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := root.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "providers" && top.Content[i+1].Kind == yaml.MappingNode {
			var names []string
			m := top.Content[i+1]
			for j := 0; j+1 < len(m.Content); j += 2 {
				names = append(names, m.Content[j].Value)
			}
			return names
		}
	}
	return nil
}

func (v *validator) pricing(c *Config, raw map[string]rawPrice) {
	c.Pricing = map[string]Price{}
	for _, model := range slices.Sorted(maps.Keys(raw)) {
		rp := raw[model]
		key := "pricing." + model
		if rp.Input == nil || rp.Output == nil {
			v.errorf(key, "pricing.%s needs both input and output (USD per 1M tokens)", model)
			continue
		}
		if *rp.Input < 0 || *rp.Output < 0 {
			v.errorf(key, "pricing.%s: prices must not be negative", model)
		}
		c.Pricing[model] = Price{Input: *rp.Input, Output: *rp.Output}
	}
}

func (v *validator) traffic(c *Config, raw map[string]rawTraffic) {
	c.Traffic = map[string]Traffic{}
	for _, name := range slices.Sorted(maps.Keys(raw)) {
		rt := raw[name]
		if rt.RequestsPerDay == nil {
			v.errorf("traffic."+name, "traffic.%s needs requests_per_day", name)
			continue
		}
		if *rt.RequestsPerDay < 0 {
			v.errorf("traffic."+name+".requests_per_day", "traffic.%s.requests_per_day must not be negative", name)
		}
		c.Traffic[name] = Traffic{RequestsPerDay: *rt.RequestsPerDay}
	}
}

func (v *validator) budget(c *Config, raw *rawBudget) {
	c.Budget = Budget{Alerts: slices.Clone(DefaultAlerts)}
	if raw == nil {
		return
	}
	c.Budget.Amount = v.amount("budget", raw.rawAmount)
	if raw.Alerts != nil {
		c.Budget.Alerts = v.alerts("budget.alerts", raw.Alerts)
	}
	for _, owner := range slices.Sorted(maps.Keys(raw.Owners)) {
		ro := raw.Owners[owner]
		key := "budget.owners." + owner
		if !strings.HasPrefix(owner, "@") && !strings.Contains(owner, "@") {
			v.errorf(key, "budget.owners: %q is not an owner; write it as CODEOWNERS does (\"@org/team\", \"@user\" or an email)", owner)
		}
		ob := OwnerBudget{Amount: v.amount(key, ro.rawAmount), Alerts: c.Budget.Alerts}
		if ob.MonthlyUSD == 0 {
			v.errorf(key, "budget.owners.%s needs daily_usd, weekly_usd or monthly_usd", owner)
		}
		if ro.Alerts != nil {
			ob.Alerts = v.alerts(key+".alerts", ro.Alerts)
		}
		if c.Budget.Owners == nil {
			c.Budget.Owners = map[string]OwnerBudget{}
		}
		c.Budget.Owners[owner] = ob
	}
}

// amount validates a budget given per day, week or month (at most one).
func (v *validator) amount(key string, raw rawAmount) Amount {
	var a Amount
	set := 0
	for _, p := range []struct {
		name string
		usd  *float64
		days float64
	}{{"daily", raw.DailyUSD, 1}, {"weekly", raw.WeeklyUSD, daysPerWeek}, {"monthly", raw.MonthlyUSD, daysPerMonth}} {
		if p.usd == nil {
			continue
		}
		set++
		field := key + "." + p.name + "_usd"
		if *p.usd < 0 {
			v.errorf(field, "%s must not be negative", field)
		}
		a = Amount{Period: p.name, PeriodUSD: *p.usd, MonthlyUSD: *p.usd}
		if p.name != "monthly" {
			a.MonthlyUSD = *p.usd / p.days * daysPerMonth
		}
	}
	if set > 1 {
		v.errorf(key, "%s: set one of daily_usd, weekly_usd or monthly_usd, not %d of them", key, set)
	}
	return a
}

func (v *validator) alerts(key string, raw []float64) []float64 {
	for _, a := range raw {
		if a <= 0 || a > 10 {
			v.errorf(key, "%s are fractions of the budget (0.5 = 50%%), got %v", key, a)
		}
	}
	out := slices.Clone(raw)
	sort.Float64s(out)
	return out
}

func (v *validator) gate(c *Config, raw *rawGate) {
	c.Gate = Gate{FailOnRegression: true, FailOnThreshold: true, FailOnBudget: true, MaxCalls: DefaultMaxCalls, Alpha: DefaultAlpha, MaxResample: MaxResampleAuto}
	if raw == nil {
		return
	}
	if raw.MaxCalls != nil {
		if *raw.MaxCalls < 1 {
			v.errorf("gate.max_calls", "gate.max_calls must be at least 1, got %d", *raw.MaxCalls)
		}
		c.Gate.MaxCalls = *raw.MaxCalls
	}
	if a := raw.Alpha; a != nil {
		if *a <= 0 || *a >= 0.5 {
			v.errorf("gate.alpha", "gate.alpha is the regression gate's error rate, between 0 and 0.5 (0.05 = 5%%), got %v", *a)
		}
		c.Gate.Alpha = *a
	}
	if m := raw.MaxResample; m != nil {
		if *m < 0 {
			v.errorf("gate.max_resample", "gate.max_resample counts extra case runs and must not be negative (leave it out for twice the first pass), got %d", *m)
		}
		c.Gate.MaxResample = max(0, *m)
	}
	setBool := func(dst *bool, src *bool) {
		if src != nil {
			*dst = *src
		}
	}
	setBool(&c.Gate.FailOnRegression, raw.FailOnRegression)
	setBool(&c.Gate.FailOnThreshold, raw.FailOnThreshold)
	setBool(&c.Gate.FailOnBudget, raw.FailOnBudget)
	for key, pct := range map[string]*float64{
		"max_cost_increase_pct":        raw.MaxCostIncreasePct,
		"max_pass_rate_drop_pct":       raw.MaxPassRateDropPct,
		"max_latency_p95_increase_pct": raw.MaxLatencyP95IncreasePct,
	} {
		if pct != nil && *pct < 0 {
			v.errorf("gate."+key, "gate.%s must not be negative", key)
		}
	}
	c.Gate.MaxCostIncreasePct = raw.MaxCostIncreasePct
	c.Gate.MaxPassRateDropPct = raw.MaxPassRateDropPct
	c.Gate.MaxLatencyP95IncreasePct = raw.MaxLatencyP95IncreasePct
}

func (v *validator) rollout(c *Config, raw *rawRollout) {
	c.Rollout = Rollout{FlagsFile: DefaultFlagsFile, Steps: slices.Clone(DefaultSteps),
		MinPermission: DefaultMinPermission, RequireCheck: true, CheckName: DefaultCheckName, MaxCommentAge: DefaultMaxCommentAge,
		Interval: DefaultInterval, FailureLimit: DefaultFailureLimit}
	if raw == nil {
		return
	}
	c.Rollout.FlagsFile = cmp.Or(raw.FlagsFile, c.Rollout.FlagsFile)
	if ext := c.Rollout.FlagsFile; !strings.HasSuffix(ext, ".json") && !strings.HasSuffix(ext, ".yaml") && !strings.HasSuffix(ext, ".yml") {
		v.errorf("rollout.flags_file", "rollout.flags_file %q must end in .json, .yaml or .yml", raw.FlagsFile)
	}
	if raw.Steps != nil {
		if len(raw.Steps) == 0 {
			v.errorf("rollout.steps", "rollout.steps must list at least one percentage")
		}
		for _, s := range raw.Steps {
			if s < 0 || s > 100 {
				v.errorf("rollout.steps", "rollout.steps must be percentages from 0 to 100, got %d", s)
			}
		}
		c.Rollout.Steps = slices.Clone(raw.Steps)
		slices.Sort(c.Rollout.Steps)
	}
	if raw.MinPermission != "" {
		if !slices.Contains(Permissions[1:], raw.MinPermission) {
			v.errorf("rollout.min_permission", "rollout.min_permission %q must be one of %s", raw.MinPermission, strings.Join(Permissions[1:], ", "))
		}
		c.Rollout.MinPermission = raw.MinPermission
	}
	c.Rollout.Teams = slices.Clone(raw.Teams)
	if raw.RequireCheck != nil {
		c.Rollout.RequireCheck = *raw.RequireCheck
	}
	c.Rollout.Branch = raw.Branch
	c.Rollout.CheckName = cmp.Or(raw.CheckName, c.Rollout.CheckName)
	if raw.MaxCommentAge != "" {
		d, err := time.ParseDuration(raw.MaxCommentAge)
		if err != nil || d <= 0 {
			v.errorf("rollout.max_comment_age", "rollout.max_comment_age %q is not a positive duration like 10m or 1h", raw.MaxCommentAge)
		}
		c.Rollout.MaxCommentAge = d
	}
	if raw.Interval != "" {
		d, err := time.ParseDuration(raw.Interval)
		if err != nil || d < time.Second {
			v.errorf("rollout.interval", "rollout.interval %q must be a duration of at least 1s, like 10m or 1h", raw.Interval)
		}
		c.Rollout.Interval = d
	}
	if raw.FailureLimit != nil {
		if *raw.FailureLimit < 1 {
			v.errorf("rollout.failure_limit", "rollout.failure_limit must be 1 or more, got %d", *raw.FailureLimit)
		}
		c.Rollout.FailureLimit = *raw.FailureLimit
	}
	v.analysis(c, raw)
}

func (v *validator) candidatesMargin(c *Config, raw *float64) {
	c.CandidatesMargin = DefaultCandidatesMargin
	if raw == nil {
		return
	}
	if *raw < 0 || *raw > 100 {
		v.errorf("candidates_margin", "candidates_margin is in points of pass rate, between 0 and 100, got %v", *raw)
	}
	c.CandidatesMargin = *raw
}

func (v *validator) candidates(c *Config, raw []string) {
	for _, m := range raw {
		switch {
		case strings.TrimSpace(m) == "":
			v.errorf("candidates", "candidates lists model names; an entry is empty")
		case slices.Contains(c.Candidates, m):
			v.errorf("candidates", "candidates lists %q twice", m)
		default:
			c.Candidates = append(c.Candidates, m)
		}
	}
}
