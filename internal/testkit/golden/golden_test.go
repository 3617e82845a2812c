package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing the test.
type recorder struct {
	testing.TB
	errors []string
	fatal  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
	r.fatal = true
	runtime.Goexit()
}

// check runs Assert against a recorder in its own goroutine, so Fatalf can stop it.
func check(t *testing.T, name, got string) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Assert(r, name, got)
	}()
	<-done
	return r
}

// Not parallel: t.Chdir and t.Setenv change the whole process.
func TestAssert(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv(EnvVar, "")

	r := check(t, "missing.md", "x")
	if !r.fatal || !strings.Contains(r.errors[0], EnvVar+"=1") {
		t.Errorf("missing golden: got %+v, want a fatal error naming %s=1", r, EnvVar)
	}

	t.Setenv(EnvVar, "1")
	if r := check(t, "sub/table.md", "| a |\n"); len(r.errors) != 0 {
		t.Fatalf("update run failed: %v", r.errors)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "sub", "table.md"))
	if err != nil || string(b) != "| a |\n" {
		t.Fatalf("update wrote %q, %v; want the output", b, err)
	}

	t.Setenv(EnvVar, "")
	if r := check(t, "sub/table.md", "| a |\n"); len(r.errors) != 0 {
		t.Errorf("same output failed: %v", r.errors)
	}
	r = check(t, "sub/table.md", "| b |\n")
	if r.fatal || len(r.errors) != 1 || !strings.Contains(r.errors[0], `"| b |\n"`) || !strings.Contains(r.errors[0], `"| a |\n"`) {
		t.Errorf("changed output: got %+v, want one error with the diff", r)
	}
	if b, _ := os.ReadFile(filepath.Join("testdata", "golden", "sub", "table.md")); string(b) != "| a |\n" {
		t.Errorf("a comparing run rewrote the golden file: %q", b)
	}

	t.Setenv(EnvVar, "true")
	if Updating() {
		t.Errorf("only %s=1 rewrites golden files", EnvVar)
	}
}
