package gitrepo

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Tree lists the regular files below dir (repo-relative) in commit rev, without
// reading them: it maps each file's path relative to dir ("/"-separated) to its
// blob's object name. A dir that does not exist at rev yields an empty map.
func (r Repo) Tree(ctx context.Context, rev, dir string) (map[string]string, error) {
	if err := checkRev(rev); err != nil {
		return nil, fmt.Errorf("list %s at %q: %w", dir, rev, err)
	}
	clean := path.Clean(strings.TrimPrefix(dir, "./"))
	if !fs.ValidPath(clean) {
		return nil, fmt.Errorf("list %s at %s: invalid repo-relative path", dir, rev)
	}
	args := []string{"ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev + "^{tree}"}
	if clean != "." {
		args = append(args, ":(literal)"+clean)
	}
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s at %s: %w", dir, rev, err)
	}
	entries, err := parseLsTree(out)
	if err != nil {
		return nil, fmt.Errorf("list %s at %s: %w", dir, rev, err)
	}
	files := make(map[string]string, len(entries))
	for _, e := range entries {
		rel := e.path
		if clean != "." {
			var ok bool
			if rel, ok = strings.CutPrefix(e.path, clean+"/"); !ok {
				continue // dir named a file
			}
		}
		files[rel] = e.object
	}
	return files, nil
}

// Blob reads one blob by its object name.
func (r Repo) Blob(ctx context.Context, object string) ([]byte, error) {
	if !isHexSHA(object) {
		return nil, fmt.Errorf("read blob %q: not an object name", object)
	}
	out, err := r.git(ctx, nil, "cat-file", "blob", object)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", object, err)
	}
	return out, nil
}

// BlobID is the object name git gives content as a blob, in the hash of object
// (SHA-1 for a 40-digit name, SHA-256 for a 64-digit one). Comparing it with an
// object name from Tree tells whether a file on disk is that blob, without
// running git.
func BlobID(content []byte, object string) string {
	var h hash.Hash = sha1.New()
	if len(object) == 64 {
		h = sha256.New()
	}
	h.Write([]byte("blob " + strconv.Itoa(len(content)) + "\x00"))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
