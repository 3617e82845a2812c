// Package testkit holds what the test kit's packages share: TB, the part of
// testing.TB a fake needs; Standalone, which lets the fakes run outside go
// test (the programs under scripts/ serve them); Probe, the step of the
// fakes' own tests of what they refuse; and Clock, a fake clock for code that
// paces itself.
package testkit

import (
	"fmt"
	"io"
	"slices"
	"sync"
)

// TB is the part of testing.TB the test kit's fakes use to report a request
// they did not expect. *testing.T, *testing.B and *Standalone satisfy it.
type TB interface {
	Helper()
	Error(args ...any)
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Cleanup(f func())
}

// Standalone is a TB for a program that serves a fake outside go test. It
// keeps every failure a fake reports, instead of failing a test, and writes
// it and every log line to Out when Out is set. Close runs the cleanups, last
// registered first, as a test's end does. It is safe for concurrent use.
type Standalone struct {
	// Out, when set, receives each failure and log line as it happens.
	Out io.Writer

	mu       sync.Mutex
	failures []string
	cleanups []func()
}

var _ TB = (*Standalone)(nil)

// Helper does nothing: there is no test output to attribute lines in.
func (s *Standalone) Helper() {}

// Error records a failure built as fmt.Sprint does.
func (s *Standalone) Error(args ...any) { s.fail(fmt.Sprint(args...)) }

// Errorf records a failure built as fmt.Sprintf does.
func (s *Standalone) Errorf(format string, args ...any) { s.fail(fmt.Sprintf(format, args...)) }

// Logf writes a line to Out, if set.
func (s *Standalone) Logf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Out != nil {
		fmt.Fprintf(s.Out, format+"\n", args...)
	}
}

func (s *Standalone) fail(msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, msg)
	if s.Out != nil {
		fmt.Fprintln(s.Out, msg)
	}
}

// Cleanup registers f to run at Close.
func (s *Standalone) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// Failures returns every failure recorded so far, in order.
func (s *Standalone) Failures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.failures)
}

// Close runs the registered cleanups, last first, and forgets them.
func (s *Standalone) Close() {
	s.mu.Lock()
	fs := s.cleanups
	s.cleanups = nil
	s.mu.Unlock()
	for _, f := range slices.Backward(fs) {
		f()
	}
}
