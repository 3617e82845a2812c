package main

import (
	"fmt"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// group is one entry of cases.yaml: assertions crossed with outputs (and judge
// replies), optionally repeated with every assertion negated.
type group struct {
	Group     string           `yaml:"group"`
	Assert    []map[string]any `yaml:"assert"`
	Outputs   []string         `yaml:"outputs"`
	Judge     []string         `yaml:"judge"`
	Vars      map[string]any   `yaml:"vars"`
	Threshold *float64         `yaml:"threshold"`
	Negate    bool             `yaml:"negate"`
	// Solo runs each case in its own promptfoo process, for cases promptfoo
	// may refuse at load time (which would stop the whole run).
	Solo bool `yaml:"solo"`
}

// Case is one expanded parity case, as written to the golden file.
type Case struct {
	ID        string           `json:"id"`
	Output    string           `json:"output"`
	Judge     string           `json:"judge,omitempty"`
	Vars      map[string]any   `json:"vars,omitempty"`
	Threshold *float64         `json:"threshold,omitempty"`
	Assert    []map[string]any `json:"assert"`
	Solo      bool             `json:"solo,omitempty"`
}

// loadCases reads and expands cases.yaml.
func loadCases(path string) ([]Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var groups []group
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&groups); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []Case
	seen := map[string]bool{}
	for _, g := range groups {
		if seen[g.Group] {
			return nil, fmt.Errorf("%s: group %s twice", path, g.Group)
		}
		seen[g.Group] = true
		judges := g.Judge
		if len(judges) == 0 {
			judges = []string{""}
		}
		outputs := g.Outputs
		if len(outputs) == 0 {
			outputs = []string{""}
		}
		n := 0
		for _, o := range outputs {
			for _, j := range judges {
				c := Case{ID: fmt.Sprintf("%s-%d", g.Group, n), Output: o, Judge: j, Vars: g.Vars, Threshold: g.Threshold, Assert: g.Assert, Solo: g.Solo}
				out = append(out, c)
				if g.Negate {
					neg := c
					neg.ID += "-not"
					neg.Assert = negated(g.Assert)
					out = append(out, neg)
				}
				n++
			}
		}
	}
	return out, nil
}

func negated(asserts []map[string]any) []map[string]any {
	out := make([]map[string]any, len(asserts))
	for i, a := range asserts {
		b := map[string]any{}
		for k, v := range a {
			b[k] = v
		}
		if t, ok := b["type"].(string); ok {
			if rest, ok := strings.CutPrefix(t, "not-"); ok {
				b["type"] = rest
			} else {
				b["type"] = "not-" + t
			}
		}
		out[i] = b
	}
	return out
}
