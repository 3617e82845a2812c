// Package config loads promptgate.yaml: it decodes the file strictly, validates it,
// and fills every default, so the rest of promptgate works with a typed, complete
// Config. Errors name the file, line and key.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// FileName is the config file promptgate looks for at the repo root.
const FileName = "promptgate.yaml"

// Default values, documented in the README's configuration section.
const (
	DefaultConcurrency   = 8
	DefaultTimeout       = 60 * time.Second
	DefaultMaxRetries    = 4
	DefaultAPIKeyEnv     = "OPENAI_API_KEY"
	DefaultFlagsFile     = "flags/prompts.flagd.json"
	DefaultMinPermission = "write"
	// DefaultCheckName is the check run the Action publishes and the App
	// requires before a rollout, unless rollout.check_name names another.
	DefaultCheckName = "promptgate"
	// DefaultMaxCommentAge is how old a command comment may be when the App runs it.
	DefaultMaxCommentAge = 10 * time.Minute
	DefaultPromptsDir    = "prompts"
	DefaultEvalsDir      = "evals"
	DefaultCacheDir      = ".promptgate/cache"
	DefaultToolsDir      = "tools"
	DefaultJudgeModel    = "gpt-4.1-mini"
	DefaultInterval      = 10 * time.Minute
	DefaultFailureLimit  = 2
	// DefaultMaxCalls is gate.max_calls when promptgate.yaml sets none.
	DefaultMaxCalls = 5000
	// DefaultAzureAPIVersion is the api-version of an Azure OpenAI provider
	// that names none (the current GA version of Azure's data-plane API).
	DefaultAzureAPIVersion = "2024-10-21"
	defaultProviderName    = "default"
)

// DefaultSteps are the rollout percentages allowed when rollout.steps is not set.
var DefaultSteps = []int{1, 5, 10, 25, 50, 100}

// DefaultAlerts are the budget alert thresholds (fractions of monthly_usd).
var DefaultAlerts = []float64{0.5, 0.8, 1.0}

// Permissions in increasing order, as GitHub's collaborator permission API names them.
var Permissions = []string{"none", "read", "triage", "write", "maintain", "admin"}

// Config is a validated promptgate.yaml with every default filled in.
type Config struct {
	// Path is where the config came from ("" when built from defaults alone).
	Path string
	// Providers in file order. DefaultProvider names the one serving bare model names.
	Providers       []Provider
	DefaultProvider string
	Pricing         map[string]Price
	Traffic         map[string]Traffic
	Budget          Budget
	Gate            Gate
	Rollout         Rollout
	Defaults        Defaults
	Paths           Paths
	// Promptfoo lists promptfoo configs (promptfooconfig.yaml files) whose
	// prompts and tests join the project.
	Promptfoo []string
	// Candidates are models to what-if each evaluated prompt on (eval
	// --candidates, check's "Cheaper models"); in file order, no repeats.
	Candidates []string
	// CandidatesMargin is how many points of pass rate a candidate may lose
	// to the prompt's model, at the 95% level, and still be recommended
	// (default DefaultCandidatesMargin).
	CandidatesMargin float64
	// Online is online evaluation of production samples, per flag, sorted by flag.
	Online []OnlineFlag

	// lines maps dotted key paths ("pricing.my-model") to their line in the file.
	lines map[string]int
	// sections holds each top-level section re-encoded canonically, for change detection.
	sections map[string]string
	// values holds every key down to the third level with its value re-encoded
	// canonically, so two versions of the file can be compared key by key (see
	// RuleChanges).
	values map[string]keyValue
}

// keyValue is one key of the file: its path (names may contain dots, as model
// names do) and its canonical value. leaf is false for a non-empty mapping
// whose keys are recorded too.
type keyValue struct {
	path  []string
	value string
	leaf  bool
}

// Price is USD per 1M input and output tokens.
type Price struct {
	Input  float64
	Output float64
}

// Traffic is the expected request volume for a prompt or flag.
type Traffic struct {
	RequestsPerDay float64
}

// Budget is the spend the projection is measured against. MonthlyUSD 0 means unset.
type Budget struct {
	Amount
	Alerts []float64
	// Owners are per-owner budgets (budget.owners), with the same alerts
	// unless they set their own.
	Owners map[string]OwnerBudget
}

// Amount is a budget as written (Period and PeriodUSD) and as the monthly
// figure projections compare with (MonthlyUSD; 0 means unset).
type Amount struct {
	MonthlyUSD float64
	// Period is "daily", "weekly" or "monthly"; PeriodUSD is the amount per period.
	Period    string
	PeriodUSD float64
}

// OwnerBudget is one owner's budget.
type OwnerBudget struct {
	Amount
	Alerts []float64
}

// Budget periods in days, for converting daily and weekly budgets to the
// monthly figures projections use (a month is 365/12 days).
const (
	daysPerWeek  = 7.0
	daysPerMonth = 365.0 / 12
)

// Gate says which findings fail the check. Nil percentages disable that gate.
type Gate struct {
	// FailOnRegression fails when a case that passed at base fails at head (default true).
	FailOnRegression bool
	// FailOnThreshold fails when a suite's pass rate is below its threshold (default true).
	FailOnThreshold bool
	// MaxPassRateDropPct tolerates a drop in pass rate of up to this many points; nil means
	// any drop of a previously passing case fails (with FailOnRegression).
	MaxPassRateDropPct       *float64
	MaxCostIncreasePct       *float64
	FailOnBudget             bool
	MaxLatencyP95IncreasePct *float64
	// MaxCalls bounds the model calls one check makes across base, head,
	// candidates and resampling (default DefaultMaxCalls); past it the rest
	// of the case runs are skipped and reported.
	MaxCalls int
	// Alpha is the error rate the regression gate allows itself: the
	// one-sided level of the suite test and the per-check budget of the
	// confirmed-case test (default DefaultAlpha; docs/verdicts.md).
	Alpha float64
	// MaxResample bounds the extra case runs a check spends confirming the
	// cases whose base and head results disagree; MaxResampleAuto (the
	// default) allows twice the check's first pass, at least
	// MinAutoResample; 0 turns confirmation off.
	MaxResample int
}

// Defaults of the verdict settings (docs/verdicts.md).
const (
	DefaultAlpha            = 0.05
	MaxResampleAuto         = -1
	MinAutoResample         = 200
	DefaultCandidatesMargin = 2.0
)

// Rollout holds the ChatOps rules for /rollout and /rollback.
type Rollout struct {
	FlagsFile     string
	Steps         []int
	MinPermission string
	Teams         []string
	RequireCheck  bool
	// Branch to commit to; "" means the repository's default branch.
	Branch    string
	CheckName string
	// MaxCommentAge refuses command comments older than this, so that a replayed
	// old delivery cannot undo a newer command.
	MaxCommentAge time.Duration
	// PrometheusURL is the Prometheus server the analysis queries; "" with no analysis.
	PrometheusURL string
	// Analysis lists the live metrics that must pass before a share is raised.
	Analysis []AnalysisMetric
	// Interval is the time /rollout f auto waits between steps.
	Interval time.Duration
	// FailureLimit is how many analyses in a row may fail (or be inconclusive)
	// before /rollout f auto rolls the flag back to 0%.
	FailureLimit int
}

// Defaults fill what prompts and suites leave out.
type Defaults struct {
	Model      string
	JudgeModel string
}

// Paths locate the repo's prompts, suites and response cache, relative to the repo root.
type Paths struct {
	Prompts string
	Evals   string
	Cache   string
	// Tools holds the tool definition files prompts name (tools/NAME.yaml).
	Tools string
}

// Default returns the configuration used when a repo has no promptgate.yaml.
func Default() *Config {
	c, err := Parse(nil, "")
	if err != nil {
		panic("config: defaults do not validate: " + err.Error())
	}
	return c
}

// Load reads promptgate.yaml from fsys. A missing file yields Default().
func Load(fsys fs.FS, name string) (*Config, error) {
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return Parse(data, name)
}

// Parse decodes and validates a promptgate.yaml document. It is pure: file is only
// used in error messages. Empty data yields the defaults.
func Parse(data []byte, file string) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if errs := checkShape(file, &root); len(errs) > 0 {
		return nil, errs
	}
	var raw rawConfig
	if len(bytes.TrimSpace(data)) > 0 {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		if err := dec.Decode(&raw); err != nil && !errors.Is(err, io.EOF) {
			return nil, yamlError(file, err)
		}
	}
	c := &Config{Path: file, lines: map[string]int{}, sections: map[string]string{}, values: map[string]keyValue{}}
	indexLines(&root, c.lines, c.sections, c.values)
	v := validator{file: file, lines: c.lines}
	v.providers(c, raw.Providers, &root)
	v.pricing(c, raw.Pricing)
	v.traffic(c, raw.Traffic)
	v.budget(c, raw.Budget)
	v.gate(c, raw.Gate)
	v.rollout(c, raw.Rollout)
	v.candidates(c, raw.Candidates)
	v.candidatesMargin(c, raw.CandidatesMargin)
	v.online(c, raw.Online, &root)
	c.Defaults = Defaults{JudgeModel: DefaultJudgeModel}
	if d := raw.Defaults; d != nil {
		c.Defaults.Model = d.Model
		if d.JudgeModel != "" {
			c.Defaults.JudgeModel = d.JudgeModel
		}
	}
	c.Paths = Paths{Prompts: DefaultPromptsDir, Evals: DefaultEvalsDir, Cache: DefaultCacheDir, Tools: DefaultToolsDir}
	if p := raw.Paths; p != nil {
		c.Paths.Prompts = cmp.Or(p.Prompts, c.Paths.Prompts)
		c.Paths.Evals = cmp.Or(p.Evals, c.Paths.Evals)
		c.Paths.Cache = cmp.Or(p.Cache, c.Paths.Cache)
		c.Paths.Tools = cmp.Or(p.Tools, c.Paths.Tools)
	}
	c.Promptfoo = raw.Promptfoo
	if err := v.errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Line returns the line of a dotted key path ("gate.max_cost_increase_pct"), or 0.
func (c *Config) Line(path string) int { return c.lines[path] }

// Section returns a canonical encoding of one top-level section ("providers",
// "pricing", …) so two versions of the file can be compared section by section
// regardless of comments and formatting.
func (c *Config) Section(name string) string { return c.sections[name] }

// Provider returns the named provider.
func (c *Config) Provider(name string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

// RunConcurrency is the case runs an eval or a check keeps in flight when
// --concurrency is not given: the default provider's concurrency, so a run
// keeps the calls that provider allows busy.
func (c *Config) RunConcurrency() int {
	if p, ok := c.Provider(c.DefaultProvider); ok && p.Concurrency > 0 {
		return p.Concurrency
	}
	return DefaultConcurrency
}

// ResolveBaseURL returns the provider's base URL, falling back to $OPENAI_BASE_URL
// and then OpenAI's public API.
func (p Provider) ResolveBaseURL(getenv func(string) string) string {
	if p.BaseURL != "" {
		return p.BaseURL
	}
	if u := getenv("OPENAI_BASE_URL"); u != "" {
		return u
	}
	return OpenAIBaseURL
}

// PermissionAtLeast reports whether have is at least want in GitHub's permission order.
func PermissionAtLeast(have, want string) bool {
	return slices.Index(Permissions, have) >= slices.Index(Permissions, want) && slices.Index(Permissions, want) >= 0
}

var yamlLineRE = regexp.MustCompile(`line (\d+): `)

// yamlError turns a yaml.v3 error into a diag.Error at the first line it names.
func yamlError(file string, err error) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0], "", 1)
	}
	msg = strings.Replace(msg, " in type config.raw", " in ", 1)
	msg = regexp.MustCompile(` in (config\.raw\w*|type config\.raw\w*)$`).ReplaceAllString(msg, "")
	return diag.Errorf(file, line, "%s", msg)
}

// indexLines records the line and the canonical value of every key down to the
// third level, and a canonical JSON-ish encoding of each top-level section.
func indexLines(root *yaml.Node, lines map[string]int, sections map[string]string, values map[string]keyValue) {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return
	}
	var walk func(n *yaml.Node, path []string)
	walk = func(n *yaml.Node, path []string) {
		if n.Kind == yaml.SequenceNode && len(path) > 0 && len(path) < 3 {
			// List items ("rollout.analysis.0") get lines too, so errors can
			// point at one; their values stay part of the list's.
			for i, item := range n.Content {
				kp := append(slices.Clone(path), strconv.Itoa(i))
				lines[strings.Join(kp, ".")] = item.Line
				walk(item, kp)
			}
			return
		}
		if n.Kind != yaml.MappingNode || len(path) >= 3 {
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			kp := append(slices.Clone(path), n.Content[i].Value)
			key := strings.Join(kp, ".")
			lines[key] = n.Content[i].Line
			val := n.Content[i+1]
			var v any
			if err := val.Decode(&v); err == nil {
				leaf := val.Kind != yaml.MappingNode || len(val.Content) == 0 || len(kp) >= 3
				values[key] = keyValue{path: kp, value: canonical(v), leaf: leaf}
			}
			walk(val, kp)
		}
	}
	top := root.Content[0]
	walk(top, nil)
	if top.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(top.Content); i += 2 {
		var v any
		if err := top.Content[i+1].Decode(&v); err == nil {
			sections[top.Content[i].Value] = canonical(v)
		}
	}
}

// canonical renders a decoded YAML value with sorted keys.
func canonical(v any) string {
	switch t := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(strconv.Quote(k) + ":" + canonical(t[k]))
		}
		b.WriteString("}")
		return b.String()
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = canonical(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return fmt.Sprintf("%#v", t)
	}
}
