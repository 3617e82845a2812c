package config

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diag"
)

// OnlineFlag is one flag's online evaluation (`online.FLAG`): the share of its
// production samples to grade and the assertions to grade them with.
type OnlineFlag struct {
	// Flag is the flag key in the flags file.
	Flag string
	// SampleRate is the share of production samples graded, 0..1 (default 1).
	SampleRate float64
	// Assert are the assertions, in file order.
	Assert []OnlineAssertion
}

// OnlineAssertion is one assertion of an online flag, as written. It is an
// assertion that needs no expected value from a test case (no vars), so it can
// grade an answer a real user got.
type OnlineAssertion struct {
	Type      string
	Value     any
	Threshold *float64
	Weight    *float64
	Provider  string
	// Metric names the assertion in promptgate_online_evals_total's
	// assertion label; "" means the type.
	Metric string
	// Line is the assertion's line in promptgate.yaml.
	Line int
}

// Label is the assertion label the online metrics use: the metric name when
// set, else the type as written.
func (a OnlineAssertion) Label() string {
	if a.Metric != "" {
		return a.Metric
	}
	return a.Type
}

// OnlineTypes are the assertion types online evaluation accepts, each also
// with a "not-" prefix: those whose value is fixed text or a fixed schema, or
// that need no value at all. equals and levenshtein compare with an expected
// answer, which production has not.
var OnlineTypes = []string{
	"contains", "contains-all", "contains-any", "contains-json", "cost", "icontains",
	"icontains-all", "icontains-any", "is-json", "javascript", "json-schema", "latency",
	"llm-rubric", "regex", "starts-with",
}

// DefaultSampleRate applies when an online flag sets no sample_rate.
const DefaultSampleRate = 1.0

type rawOnlineFlag struct {
	SampleRate *float64             `yaml:"sample_rate"`
	Assert     []rawOnlineAssertion `yaml:"assert"`
}

type rawOnlineAssertion struct {
	Type      string   `yaml:"type"`
	Value     any      `yaml:"value"`
	Threshold *float64 `yaml:"threshold"`
	Weight    *float64 `yaml:"weight"`
	Provider  string   `yaml:"provider"`
	Metric    string   `yaml:"metric"`
}

// online validates the online section. Lines come from the node tree, since
// the line index stops above the assertion lists.
func (v *validator) online(c *Config, raw map[string]rawOnlineFlag, root *yaml.Node) {
	flags := make([]string, 0, len(raw))
	for f := range raw {
		flags = append(flags, f)
	}
	slices.Sort(flags)
	for _, flag := range flags {
		rf := raw[flag]
		key := "online." + flag
		of := OnlineFlag{Flag: flag, SampleRate: DefaultSampleRate}
		if r := rf.SampleRate; r != nil {
			if math.IsNaN(*r) || *r < 0 || *r > 1 {
				v.errorf(key+".sample_rate", "online.%s.sample_rate must be between 0 and 1, got %g", flag, *r)
			}
			of.SampleRate = *r
		}
		if len(rf.Assert) == 0 {
			v.errorf(key, "online.%s needs assert: the assertions to grade its production samples with", flag)
		}
		lines := nodeLines(root, "online", flag, "assert")
		for i, ra := range rf.Assert {
			a := OnlineAssertion{Type: ra.Type, Value: ra.Value, Threshold: ra.Threshold, Weight: ra.Weight,
				Provider: ra.Provider, Metric: ra.Metric}
			if i < len(lines) {
				a.Line = lines[i]
			}
			where := fmt.Sprintf("online.%s.assert[%d]", flag, i)
			bad := func(format string, args ...any) {
				v.errs = append(v.errs, diag.Errorf(v.file, a.Line, "%s: %s", where, fmt.Sprintf(format, args...)))
			}
			base, _ := strings.CutPrefix(ra.Type, "not-")
			switch {
			case ra.Type == "":
				bad("needs a type")
			case !slices.Contains(OnlineTypes, base):
				bad("%s needs an expected value from a test case, which production samples have not; online assertions are %s",
					ra.Type, strings.Join(OnlineTypes, ", "))
			}
			if s, ok := ra.Value.(string); ok && strings.Contains(s, "{{") {
				bad("value uses {{vars}}, which production samples have not")
			}
			if ra.Metric != "" && !validLabelValue(ra.Metric) {
				bad("metric %q must be letters, digits, '_', '-' or '.', at most 64", ra.Metric)
			}
			of.Assert = append(of.Assert, a)
		}
		c.Online = append(c.Online, of)
	}
}

// OnlineFlag returns the online evaluation of flag, if the config has one.
func (c *Config) OnlineFlag(flag string) (OnlineFlag, bool) {
	for _, f := range c.Online {
		if f.Flag == flag {
			return f, true
		}
	}
	return OnlineFlag{}, false
}

func validLabelValue(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// nodeLines returns the lines of the items of the list at path in the
// document, or nil.
func nodeLines(root *yaml.Node, path ...string) []int {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 {
		return nil
	}
	n := root.Content[0]
	for _, k := range path {
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	if n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]int, len(n.Content))
	for i, item := range n.Content {
		out[i] = item.Line
	}
	return out
}
