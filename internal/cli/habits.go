package cli

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/suite"
)

// habitFlags are promptfoo's eval flags, spelled as promptfoo spells them, so
// a promptfoo user's commands and scripts keep working.
type habitFlags struct {
	config, pattern, failing, envFile string
	repeat, firstN                    int
}

func (h *habitFlags) register(fs *flag.FlagSet, concurrency *int) {
	fs.StringVar(&h.config, "c", "", "config `file` as promptfoo's -c: a promptfooconfig.yaml runs alone (as --promptfoo), a promptgate.yaml is the config (as --config)")
	fs.IntVar(&h.repeat, "repeat", 0, "run every case `N` times (overrides each suite's repeat:)")
	fs.StringVar(&h.pattern, "filter-pattern", "", "only cases whose description matches this `regexp`")
	fs.IntVar(&h.firstN, "filter-first-n", 0, "only the first `N` cases, in suite order")
	fs.StringVar(&h.failing, "filter-failing", "", "only the cases that failed or errored in this earlier JSON report `file` (eval -o report.json)")
	fs.StringVar(&h.envFile, "env-file", "", "read KEY=VALUE lines from this `file` (.env) for variables the environment does not set")
	fs.IntVar(concurrency, "max-concurrency", 0, "same as --concurrency")
}

// apply narrows the suites to the cases the filters keep, and sets repeat.
// A suite left with no case is dropped.
func (h *habitFlags) apply(suites []*suite.Suite) ([]*suite.Suite, error) {
	var re *regexp.Regexp
	if h.pattern != "" {
		var err error
		if re, err = regexp.Compile(h.pattern); err != nil {
			return nil, usageError{msg: fmt.Sprintf("eval: --filter-pattern: %v", err)}
		}
	}
	failing, err := failingCases(h.failing)
	if err != nil {
		return nil, err
	}
	if h.repeat < 0 || h.firstN < 0 {
		return nil, usageError{msg: "eval: --repeat and --filter-first-n take a positive number"}
	}
	left := h.firstN
	var out []*suite.Suite
	for _, s := range suites {
		c := *s
		if h.repeat > 0 {
			c.Repeat = h.repeat
		}
		c.Tests = nil
		for _, t := range s.Tests {
			if re != nil && !re.MatchString(t.Description) {
				continue
			}
			if failing != nil && !failing[caseRef{s.Path, t.Index}] {
				continue
			}
			if h.firstN > 0 {
				if left == 0 {
					break
				}
				left--
			}
			c.Tests = append(c.Tests, t)
		}
		if len(c.Tests) > 0 {
			out = append(out, &c)
		}
	}
	return out, nil
}

type caseRef struct {
	suite string
	index int
}

// failingCases reads the cases that failed or errored in a JSON eval report;
// nil when no file is named.
func failingCases(file string) (map[caseRef]bool, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError{msg: "eval: --filter-failing: " + err.Error()}
	}
	var rep eval.Report
	if err := json.Unmarshal(b, &rep); err != nil || rep.Suites == nil {
		return nil, usageError{msg: fmt.Sprintf("eval: --filter-failing: %s is not an eval JSON report (eval -o report.json)", file)}
	}
	out := map[caseRef]bool{}
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			if c.Status == eval.StatusFail || c.Status == eval.StatusError {
				out[caseRef{s.Path, c.Index}] = true
			}
		}
	}
	return out, nil
}

// configFlag sorts promptfoo's -c into promptgate's --config or --promptfoo.
func (h *habitFlags) configFlag(configPath, promptfoo *string) {
	if h.config == "" {
		return
	}
	base := strings.ToLower(filepath.Base(h.config))
	if strings.HasPrefix(base, "promptgate.") {
		*configPath = h.config
		return
	}
	*promptfoo = h.config
}

// withEnvFile returns getenv with the file's variables under it: the
// environment wins, as with dotenv.
func withEnvFile(getenv func(string) string, file string) (func(string) string, error) {
	if file == "" {
		return getenv, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError{msg: "eval: --env-file: " + err.Error()}
	}
	vars, err := parseEnvFile(string(b))
	if err != nil {
		return nil, usageError{msg: fmt.Sprintf("eval: --env-file: %s:%v", file, err)}
	}
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return vars[k]
	}, nil
}

// parseEnvFile reads .env lines: KEY=VALUE, an optional `export `, a value
// in single or double quotes, # comments and blank lines. A line without =
// is an error naming its line.
func parseEnvFile(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t\"'") {
			return nil, fmt.Errorf("%d: want KEY=VALUE", n)
		}
		v = strings.TrimSpace(v)
		switch {
		case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0]:
			v = v[1 : len(v)-1]
		case strings.Contains(v, " #"):
			v = strings.TrimSpace(v[:strings.Index(v, " #")])
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("0: %v", err)
	}
	return out, nil
}
