// Package gittest builds throwaway git repositories for tests with the real git
// binary. Every command runs hermetically: the user's global and system git
// configuration are never read (no signing hook, no template, no other default
// branch), the author and committer are fixed, and the default branch is main,
// so a test behaves the same on a laptop and in CI.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Env is the process environment plus the variables that make git hermetic.
// Pass it to any git command a test starts itself.
func Env() []string {
	return append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_COUNT=2",
		"GIT_CONFIG_KEY_0=init.defaultBranch", "GIT_CONFIG_VALUE_0=main",
		"GIT_CONFIG_KEY_1=commit.gpgsign", "GIT_CONFIG_VALUE_1=false",
		"GIT_AUTHOR_NAME=promptgate test", "GIT_AUTHOR_EMAIL=test@example.invalid",
		"GIT_COMMITTER_NAME=promptgate test", "GIT_COMMITTER_EMAIL=test@example.invalid",
		"GIT_AUTHOR_DATE=2025-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2025-01-01T00:00:00Z",
	)
}

// Run runs git with args in dir (the current folder when dir is "") under Env
// and returns its trimmed output; a failing command fails t with git's output.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Repo is a repository in a test's folder.
type Repo struct {
	t testing.TB
	// Dir is the repository's work tree.
	Dir string
}

// New initialises a repository on branch main in a new temporary folder. It
// skips the test when no git binary is on PATH.
func New(t testing.TB) *Repo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not available")
	}
	return Init(t, t.TempDir())
}

// Init initialises a repository on branch main in dir.
func Init(t testing.TB, dir string) *Repo {
	t.Helper()
	Run(t, dir, "init", "-q", "-b", "main")
	return &Repo{t: t, Dir: dir}
}

// Git runs git with args in the repository and returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, args...)
}

// Write sets files, named by slash-separated paths relative to the work tree,
// creating folders; an empty content deletes the file.
func (r *Repo) Write(files map[string]string) {
	r.t.Helper()
	for name, content := range files {
		p := filepath.Join(r.Dir, filepath.FromSlash(name))
		if content == "" {
			if err := os.Remove(p); err != nil {
				r.t.Fatalf("delete %s: %v", name, err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatalf("create folder of %s: %v", name, err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatalf("write %s: %v", name, err)
		}
	}
}

// Commit writes files as Write does, stages everything and commits (even when
// nothing changed), and returns the new commit's SHA.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	r.Write(files)
	r.Git("add", "-A")
	r.Git("commit", "-q", "--allow-empty", "-m", msg)
	return r.Git("rev-parse", "HEAD")
}
