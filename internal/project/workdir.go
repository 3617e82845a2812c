package project

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// OpenDir returns the working tree under root as an fs.FS for Load. Unlike
// os.DirFS, it refuses a path whose symlinks lead outside root, so a
// symlinked prompt or file:// var cannot carry a file from elsewhere on the
// machine into a model call. (check reads commits instead, and a commit
// snapshot holds no symlinks at all.) Symlinks that stay inside root work.
// close releases the directory.
func OpenDir(root string) (fsys fs.FS, close func() error, err error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, nil, fmt.Errorf("open repository: %w", err)
	}
	return r.FS(), r.Close, nil
}

// WorkTree returns the git work tree that holds dir: the nearest folder,
// dir or above, with a .git entry (a directory, or a file in a linked
// worktree), as an absolute path; dir itself (absolute) when no folder is
// one.
func WorkTree(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return dir
	}
	for d := abs; ; {
		if _, err := os.Lstat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return abs
		}
		d = parent
	}
}
