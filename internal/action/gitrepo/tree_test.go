package gitrepo

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
)

// TestTreeAndBlob: Tree lists a directory's files at a commit with their
// object names, Blob reads one back, and BlobID computes the same name from
// the content, so a file on disk can be matched to a commit without git.
func TestTreeAndBlob(t *testing.T) {
	t.Parallel()
	r := gittest.New(t)
	first := r.Commit("first", map[string]string{
		".promptgate/cache/ab/ab01.json": "one\n",
		".promptgate/cache/cd/cd02.json": "two\n",
		".promptgate/cachefile":          "not below the dir\n",
		"README.md":                      "readme\n",
	})
	r.Commit("second", map[string]string{".promptgate/cache/ab/ab01.json": "changed\n"})
	repo := Repo{Dir: r.Dir}
	ctx := context.Background()
	files, err := repo.Tree(ctx, first, ".promptgate/cache")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ab/ab01.json", "cd/cd02.json"}, slices.Sorted(maps.Keys(files))); diff != "" {
		t.Errorf("Tree paths (-want +got):\n%s", diff)
	}
	b, err := repo.Blob(ctx, files["ab/ab01.json"])
	if err != nil || string(b) != "one\n" {
		t.Errorf("Blob = %q, %v; want the first commit's content", b, err)
	}
	if got := BlobID([]byte("one\n"), files["ab/ab01.json"]); got != files["ab/ab01.json"] {
		t.Errorf("BlobID = %s, want %s", got, files["ab/ab01.json"])
	}
	if got := BlobID([]byte("changed\n"), files["ab/ab01.json"]); got == files["ab/ab01.json"] {
		t.Error("BlobID of other content matches")
	}
	none, err := repo.Tree(ctx, first, "no/such/dir")
	if err != nil || len(none) != 0 {
		t.Errorf("Tree of a missing dir = %v, %v; want empty", none, err)
	}
	if _, err := repo.Blob(ctx, "--help"); err == nil {
		t.Error("Blob accepted an option as an object name")
	}
}
