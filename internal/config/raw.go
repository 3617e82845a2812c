package config

// The raw* types mirror promptgate.yaml exactly as users write it. They are decoded
// strictly (unknown keys are errors) and then validated into Config.

type rawConfig struct {
	Providers map[string]rawProvider `yaml:"providers"`
	Pricing   map[string]rawPrice    `yaml:"pricing"`
	Traffic   map[string]rawTraffic  `yaml:"traffic"`
	Budget    *rawBudget             `yaml:"budget"`
	Gate      *rawGate               `yaml:"gate"`
	Rollout   *rawRollout            `yaml:"rollout"`
	Defaults  *rawDefaults           `yaml:"defaults"`
	Paths     *rawPaths              `yaml:"paths"`
	Promptfoo []string               `yaml:"promptfoo"`
	// Candidates are cheaper models to what-if every evaluated prompt on.
	Candidates []string `yaml:"candidates"`
	// CandidatesMargin is the non-inferiority margin of the what-if, in
	// points of pass rate.
	CandidatesMargin *float64 `yaml:"candidates_margin"`
	// Online is online evaluation per flag key.
	Online map[string]rawOnlineFlag `yaml:"online"`
}

type rawProvider struct {
	BaseURL     string  `yaml:"base_url"`
	APIKeyEnv   string  `yaml:"api_key_env"`
	Concurrency *int    `yaml:"concurrency"`
	Timeout     *string `yaml:"timeout"`
	MaxRetries  *int    `yaml:"max_retries"`
	RPM         *int    `yaml:"rpm"`
	TPM         *int    `yaml:"tpm"`
	// RateLimitWait is how long one call waits out 429s, as a duration.
	RateLimitWait *string `yaml:"rate_limit_wait"`
	Azure         *bool   `yaml:"azure"`
	APIVersion    string  `yaml:"api_version"`
}

type rawPrice struct {
	Input  *float64 `yaml:"input"`
	Output *float64 `yaml:"output"`
}

type rawTraffic struct {
	RequestsPerDay *float64 `yaml:"requests_per_day"`
}

type rawBudget struct {
	rawAmount `yaml:",inline"`
	Alerts    []float64 `yaml:"alerts"`
	// Owners are per-owner budgets, keyed as CODEOWNERS or metadata.owner
	// write the owner ("@acme/support").
	Owners map[string]rawOwnerBudget `yaml:"owners"`
}

// rawAmount is a budget in one of three periods; at most one may be set.
type rawAmount struct {
	DailyUSD   *float64 `yaml:"daily_usd"`
	WeeklyUSD  *float64 `yaml:"weekly_usd"`
	MonthlyUSD *float64 `yaml:"monthly_usd"`
}

type rawOwnerBudget struct {
	rawAmount `yaml:",inline"`
	Alerts    []float64 `yaml:"alerts"`
}

type rawGate struct {
	MaxCostIncreasePct       *float64 `yaml:"max_cost_increase_pct"`
	FailOnBudget             *bool    `yaml:"fail_on_budget"`
	FailOnRegression         *bool    `yaml:"fail_on_regression"`
	FailOnThreshold          *bool    `yaml:"fail_on_threshold"`
	MaxPassRateDropPct       *float64 `yaml:"max_pass_rate_drop_pct"`
	MaxLatencyP95IncreasePct *float64 `yaml:"max_latency_p95_increase_pct"`
	MaxCalls                 *int     `yaml:"max_calls"`
	Alpha                    *float64 `yaml:"alpha"`
	MaxResample              *int     `yaml:"max_resample"`
}

type rawRollout struct {
	FlagsFile     string              `yaml:"flags_file"`
	Steps         []int               `yaml:"steps"`
	MinPermission string              `yaml:"min_permission"`
	Teams         []string            `yaml:"teams"`
	RequireCheck  *bool               `yaml:"require_check"`
	Branch        string              `yaml:"branch"`
	CheckName     string              `yaml:"check_name"`
	PrometheusURL string              `yaml:"prometheus_url"`
	Analysis      []rawAnalysisMetric `yaml:"analysis"`
	Interval      string              `yaml:"interval"`
	FailureLimit  *int                `yaml:"failure_limit"`
	MaxCommentAge string              `yaml:"max_comment_age"`
}

type rawDefaults struct {
	Model      string `yaml:"model"`
	JudgeModel string `yaml:"judge_model"`
}

type rawPaths struct {
	Prompts string `yaml:"prompts"`
	Evals   string `yaml:"evals"`
	Cache   string `yaml:"cache"`
	Tools   string `yaml:"tools"`
}
