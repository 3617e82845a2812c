// Package golden compares rendered output (diff tables, check-run summaries,
// replies, flag files) with files under the calling package's testdata/golden,
// so a rendering change shows up in review as a diff of those files.
//
// One environment variable refreshes every golden file of the module:
//
//	PROMPTGATE_UPDATE_GOLDEN=1 go test ./...
//
// An environment variable, unlike a per-package -update flag, is accepted by
// every package, so the command never fails on an unknown flag.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// EnvVar is the environment variable that, set to 1, makes Assert rewrite the
// golden files instead of comparing with them.
const EnvVar = "PROMPTGATE_UPDATE_GOLDEN"

// Updating reports whether this test run rewrites golden files.
func Updating() bool { return os.Getenv(EnvVar) == "1" }

// Path is the golden file name under testdata/golden of the package under test.
func Path(name string) string { return filepath.Join("testdata", "golden", name) }

// Assert fails t unless got equals testdata/golden/name byte for byte. With
// PROMPTGATE_UPDATE_GOLDEN=1 it writes got there first (creating folders), so
// the comparison then passes and git shows what changed.
func Assert[T string | []byte](t testing.TB, name string, got T) {
	t.Helper()
	path := Path(name)
	if Updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatalf("create golden folder: %v", err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("write golden file: %v", err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with %s=1 to create it): %v", EnvVar, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got; run with %s=1 to accept):\n%s", path, EnvVar, diff)
	}
}
