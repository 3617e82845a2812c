package gitrepo

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	tr := gittest.New(t)
	first := tr.Commit("first", map[string]string{"a.txt": "a\n"})
	second := tr.Commit("second", map[string]string{"a.txt": "b\n"})
	tr.Git("tag", "v1", first)
	repo := Repo{Dir: tr.Dir}

	tests := []struct {
		name    string
		rev     string
		want    string
		wantErr string
	}{
		{name: "HEAD", rev: "HEAD", want: second},
		{name: "branch", rev: "main", want: second},
		{name: "parent", rev: "HEAD~1", want: first},
		{name: "tag", rev: "v1", want: first},
		{name: "short sha", rev: first[:10], want: first},
		{name: "full sha", rev: second, want: second},
		{name: "unknown", rev: "no-such-branch", wantErr: "no such commit"},
		{name: "option-like", rev: "--output=/tmp/x", wantErr: "must not start with '-'"},
		{name: "empty", rev: "", wantErr: "empty revision"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := repo.Resolve(context.Background(), tc.rev)
			checkErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.rev, got, tc.want)
			}
		})
	}
}

func TestChangedFiles(t *testing.T) {
	t.Parallel()
	tr := gittest.New(t)
	long := strings.Repeat("a line that makes rename detection confident\n", 20)
	base := tr.Commit("base", map[string]string{
		"prompts/summarize.prompt": "v1\n",
		"prompts/old.prompt":       long,
		"evals/gone.yaml":          "x\n",
		"README.md":                "readme\n",
	})
	head := tr.Commit("head", map[string]string{
		"prompts/summarize.prompt": "v2\n",
		"prompts/old.prompt":       "",
		"prompts/new name.prompt":  long + "one more line\n",
		"evals/gone.yaml":          "",
		"evals/added.yaml":         "y\n",
	})
	repo := Repo{Dir: tr.Dir}

	tests := []struct {
		name       string
		base, head string
		want       []FileChange
		wantErr    string
	}{
		{
			name: "forward", base: base, head: head,
			want: []FileChange{
				{Path: "evals/added.yaml", Status: 'A'},
				{Path: "evals/gone.yaml", Status: 'D'},
				{Path: "prompts/new name.prompt", OldPath: "prompts/old.prompt", Status: 'R'},
				{Path: "prompts/summarize.prompt", Status: 'M'},
			},
		},
		{
			name: "backward", base: head, head: base,
			want: []FileChange{
				{Path: "evals/added.yaml", Status: 'D'},
				{Path: "evals/gone.yaml", Status: 'A'},
				{Path: "prompts/old.prompt", OldPath: "prompts/new name.prompt", Status: 'R'},
				{Path: "prompts/summarize.prompt", Status: 'M'},
			},
		},
		{name: "same commit", base: head, head: head, want: nil},
		{name: "unknown base", base: "0000000000000000000000000000000000000001", head: head, wantErr: "diff"},
		{name: "option-like head", base: base, head: "-R", wantErr: "must not start with '-'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := repo.ChangedFiles(context.Background(), tc.base, tc.head)
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ChangedFiles (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnsureCommit clones at depth 1 from a file:// URL, as actions/checkout
// does, so the base commit really is missing and really is fetched.
func TestEnsureCommit(t *testing.T) {
	t.Parallel()
	upstream := gittest.New(t)
	upstream.Commit("root", map[string]string{"promptgate.yaml": "{}\n"})
	base := upstream.Commit("base", map[string]string{"prompts/a.prompt": "base\n"})
	head := upstream.Commit("head", map[string]string{"prompts/a.prompt": "head\n"})

	clone := filepath.Join(t.TempDir(), "clone")
	gittest.Run(t, "", "clone", "-q", "--depth=1", "--no-local", "file://"+upstream.Dir, clone)
	repo := Repo{Dir: clone}
	ctx := context.Background()

	if _, err := repo.Resolve(ctx, base); err == nil {
		t.Fatalf("base %s is present before EnsureCommit; the test would prove nothing", base)
	}
	if err := repo.EnsureCommit(ctx, base); err != nil {
		t.Fatalf("EnsureCommit(base): %v", err)
	}
	if got, err := repo.Resolve(ctx, base); err != nil || got != base {
		t.Fatalf("after EnsureCommit, Resolve(base) = %q, %v", got, err)
	}
	changes, err := repo.ChangedFiles(ctx, base, head)
	if err != nil {
		t.Fatalf("ChangedFiles after fetch: %v", err)
	}
	if diff := cmp.Diff([]FileChange{{Path: "prompts/a.prompt", Status: 'M'}}, changes); diff != "" {
		t.Errorf("ChangedFiles (-want +got):\n%s", diff)
	}
	fsys, err := repo.FS(ctx, base, "prompts")
	if err != nil {
		t.Fatalf("FS(base): %v", err)
	}
	if got, _ := fs.ReadFile(fsys, "prompts/a.prompt"); string(got) != "base\n" {
		t.Errorf("base prompt = %q, want %q", got, "base\n")
	}

	t.Run("present commit needs no remote", func(t *testing.T) {
		t.Parallel()
		r := Repo{Dir: clone, Remote: "no-such-remote"}
		if err := r.EnsureCommit(ctx, head); err != nil {
			t.Errorf("EnsureCommit(head) with a bad remote: %v", err)
		}
	})
	t.Run("remote branch", func(t *testing.T) {
		t.Parallel()
		got, err := repo.RemoteBranch(ctx, "refs/heads/main")
		if err != nil || got != head {
			t.Errorf("RemoteBranch(main) = %q, %v; want %q", got, err, head)
		}
		_, err = repo.RemoteBranch(ctx, "nope")
		checkErr(t, err, "no such branch")
		_, err = repo.RemoteBranch(ctx, "--upload-pack=x")
		checkErr(t, err, "must not start with '-'")
	})
	t.Run("unknown commit", func(t *testing.T) {
		t.Parallel()
		err := Repo{Dir: clone}.EnsureCommit(ctx, strings.Repeat("ab", 20))
		checkErr(t, err, "fetch-depth: 0")
	})
	t.Run("not a sha", func(t *testing.T) {
		t.Parallel()
		checkErr(t, repo.EnsureCommit(ctx, "main"), "not a full commit SHA")
	})
}

func TestFS(t *testing.T) {
	t.Parallel()
	tr := gittest.New(t)
	base := tr.Commit("base", map[string]string{
		"promptgate.yaml":          "gate: {}\n",
		"prompts/summarize.prompt": "hello\n",
		"prompts/sub/_tone.prompt": "calm\n",
		"prompts/a*b.prompt":       "star\n",
		"evals/s.yaml":             "suite\n",
		"src/main.go":              "package main\n",
	})
	// An uncommitted edit must not leak into the snapshot: FS reads git objects only.
	if err := os.WriteFile(filepath.Join(tr.Dir, "prompts", "summarize.prompt"), []byte("dirty\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(tr.Dir, "prompts", "link.prompt")); err != nil {
		t.Fatal(err)
	}
	tr.Git("add", "prompts/link.prompt")
	tr.Git("commit", "-q", "-m", "symlink")
	withLink := tr.Git("rev-parse", "HEAD")
	repo := Repo{Dir: tr.Dir}

	tests := []struct {
		name    string
		rev     string
		paths   []string
		want    map[string]string
		wantErr string
	}{
		{
			name: "dirs and files, missing ones absent", rev: base,
			paths: []string{"prompts", "promptgate.yaml", "flags/prompts.flagd.json", "evals/"},
			want: map[string]string{
				"promptgate.yaml": "gate: {}\n", "prompts/summarize.prompt": "hello\n",
				"prompts/sub/_tone.prompt": "calm\n", "prompts/a*b.prompt": "star\n", "evals/s.yaml": "suite\n",
			},
		},
		{
			name: "glob characters are literal", rev: base, paths: []string{"prompts/a*b.prompt", "prompts/*.prompt"},
			want: map[string]string{"prompts/a*b.prompt": "star\n"},
		},
		{name: "nothing exists", rev: base, paths: []string{"nope"}, want: map[string]string{}},
		{
			name: "symlinks are left out", rev: withLink, paths: []string{"prompts/link.prompt", "src"},
			want: map[string]string{"src/main.go": "package main\n"},
		},
		{name: "escaping path", rev: base, paths: []string{"../x"}, wantErr: "invalid repo-relative path"},
		{name: "bad rev", rev: "nope", paths: []string{"prompts"}, wantErr: "list tree"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys, err := repo.FS(context.Background(), tc.rev, tc.paths...)
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, readAll(t, fsys)); diff != "" {
				t.Errorf("snapshot (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("whole tree passes fstest", func(t *testing.T) {
		t.Parallel()
		fsys, err := repo.FS(context.Background(), base)
		if err != nil {
			t.Fatal(err)
		}
		if err := fstest.TestFS(fsys, "promptgate.yaml", "prompts/summarize.prompt", "prompts/sub/_tone.prompt", "src/main.go"); err != nil {
			t.Error(err)
		}
	})
}

func readAll(t *testing.T, fsys fs.FS) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		got[p] = string(data)
		return err
	})
	if err != nil {
		t.Fatalf("walk snapshot: %v", err)
	}
	return got
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}

func TestPrefix(t *testing.T) {
	t.Parallel()
	tr := gittest.New(t)
	tr.Commit("root", map[string]string{"sub/dir/a.txt": "a\n"})
	tests := []struct{ dir, want string }{
		{tr.Dir, ""},
		{filepath.Join(tr.Dir, "sub", "dir"), "sub/dir/"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			t.Parallel()
			got, err := Repo{Dir: tc.dir}.Prefix(context.Background())
			if err != nil || got != tc.want {
				t.Errorf("Prefix(%s) = %q, %v; want %q", tc.dir, got, err, tc.want)
			}
		})
	}
	if _, err := (Repo{Dir: t.TempDir()}).Prefix(context.Background()); err == nil {
		t.Errorf("Prefix outside a repository: no error")
	}
}
