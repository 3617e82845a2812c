package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeExampleParses keeps the README's promptgate.yaml example honest: it
// must parse with every key it shows.
func TestReadmeExampleParses(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	_, rest, ok := strings.Cut(string(readme), "### promptgate.yaml")
	if !ok {
		t.Fatal("README has no '### promptgate.yaml' section")
	}
	_, rest, ok = strings.Cut(rest, "```yaml\n")
	if !ok {
		t.Fatal("README's promptgate.yaml section has no yaml block")
	}
	example, _, _ := strings.Cut(rest, "```")
	c, err := Parse([]byte(example), "README.md")
	if err != nil {
		t.Fatalf("README example does not parse: %v", err)
	}
	if len(c.Providers) < 2 || c.Budget.MonthlyUSD == 0 || c.Rollout.FlagsFile == "" {
		t.Errorf("README example parsed to an unexpectedly empty config: %+v", c)
	}
}
