package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckRefusesSubdirectory: from a directory below the top of the work
// tree, promptgate would read promptgate.yaml, prompts and evals at the top
// and quietly report "no LLM changes"; it stops with exit 2 and says what to do.
func TestCheckRefusesSubdirectory(t *testing.T) {
	t.Parallel()
	dir, base, _ := scenarioRepo(t)
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", filepath.Join(dir, "prompts"), "--base", base},
		func(string) string { return "" }, &stdout, &stderr)
	if code != ExitBadInput {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, ExitBadInput, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "subdirectory prompts/ of a git work tree") {
		t.Errorf("stderr does not explain:\n%s", stderr.String())
	}
}
