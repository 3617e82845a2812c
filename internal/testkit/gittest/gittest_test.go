package gittest

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHermetic: a hostile global configuration (another default branch,
// signing with a program that always fails, another author) changes nothing.
// Not parallel: t.Setenv changes the whole process.
func TestHermetic(t *testing.T) {
	home := t.TempDir()
	hostile := "[init]\n\tdefaultBranch = trunk\n[commit]\n\tgpgsign = true\n[gpg]\n\tprogram = false\n[user]\n\tname = Someone Else\n\temail = else@example.invalid\n"
	if err := os.WriteFile(filepath.Join(home, ".gitconfig"), []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", home)

	r := New(t)
	first := r.Commit("first", map[string]string{"a/b.txt": "one\n", "c.txt": "two\n"})
	if got := r.Git("symbolic-ref", "--short", "HEAD"); got != "main" {
		t.Errorf("branch = %q, want main", got)
	}
	if got := r.Git("log", "-1", "--format=%an <%ae>|%cn|%cI"); got != "promptgate test <test@example.invalid>|promptgate test|2025-01-01T00:00:00+00:00" {
		t.Errorf("author, committer, date = %q", got)
	}
	second := r.Commit("second", map[string]string{"c.txt": ""})
	if first == second {
		t.Fatal("second commit has the first one's SHA")
	}
	if got := r.Git("diff", "--name-status", first, second); got != "D\tc.txt" {
		t.Errorf("diff = %q, want c.txt deleted", got)
	}
	if got := Run(t, r.Dir, "show", second+":a/b.txt"); got != "one" {
		t.Errorf("a/b.txt = %q, want one", got)
	}
}
