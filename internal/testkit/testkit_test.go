package testkit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStandaloneKeepsFailuresAndRunsCleanupsLastFirst: failures are kept in
// order and written to Out with the log lines; Close runs each cleanup once,
// the last registered first.
func TestStandaloneKeepsFailuresAndRunsCleanupsLastFirst(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	s := &Standalone{Out: &out}
	var ran []int
	s.Cleanup(func() { ran = append(ran, 1) })
	s.Cleanup(func() { ran = append(ran, 2) })
	s.Helper()
	s.Errorf("bad %s", "route")
	s.Logf("served %d", 3)
	s.Error("bad", " body")
	if diff := cmp.Diff([]string{"bad route", "bad body"}, s.Failures()); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
	if got, want := out.String(), "bad route\nserved 3\nbad body\n"; got != want {
		t.Errorf("out = %q, want %q", got, want)
	}
	s.Close()
	s.Close()
	if diff := cmp.Diff([]int{2, 1}, ran); diff != "" {
		t.Errorf("cleanups ran (-want +got):\n%s", diff)
	}
}

// TestStandaloneWithoutOut keeps failures even with nowhere to write them.
func TestStandaloneWithoutOut(t *testing.T) {
	t.Parallel()
	var s Standalone
	s.Logf("ignored")
	s.Errorf("kept")
	if got := s.Failures(); len(got) != 1 || got[0] != "kept" {
		t.Errorf("failures = %q, want [kept]", got)
	}
}
