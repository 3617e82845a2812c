package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestMainUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		code       int
		wantStdout string
		wantStderr string
		notStderr  string
	}{
		{"no args teaches", nil, ExitBadInput, "", "Commands:", ""},
		{"root help", []string{"--help"}, ExitOK, "promptgate eval --offline", "", ""},
		{"help for a command", []string{"help", "eval"}, ExitOK, "Usage: promptgate eval", "", ""},
		{"command help lists flags", []string{"check", "-h"}, ExitOK, "-fail-on", "", ""},
		{"unknown command", []string{"frob"}, ExitBadInput, "", `unknown command "frob"`, ""},
		{"mistyped flag is one line", []string{"eval", "--bogus"}, ExitBadInput, "", "flag provided but not defined: -bogus (see promptgate eval --help)", "Runs every eval suite"},
		{"stray argument", []string{"eval", "extra"}, ExitBadInput, "", `unexpected argument "extra"`, ""},
		{"bad format", []string{"eval", "--format", "xml"}, ExitBadInput, "", `unknown format "xml"`, ""},
		{"offline and no-cache conflict", []string{"eval", "--offline", "--no-cache"}, ExitBadInput, "", "cannot be combined", ""},
		{"check needs a base locally", []string{"check"}, ExitBadInput, "", "--base is required", ""},
		{"version", []string{"version"}, ExitOK, "promptgate dev", "", ""},
		{"serve help", []string{"serve", "--help"}, ExitOK, "POST /webhook", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
			if tt.notStderr != "" && strings.Contains(stderr.String()+stdout.String(), tt.notStderr) {
				t.Errorf("output should not contain %q", tt.notStderr)
			}
		})
	}
}
