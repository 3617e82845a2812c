package gitrepo

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// FS returns a read-only, in-memory snapshot of paths (files or directories,
// repo-relative) as they are in commit rev. Nothing is checked out: it lists the
// tree with `git ls-tree` and reads blobs with `git cat-file --batch`. A path
// that does not exist at rev is simply absent from the snapshot; no paths means
// the whole tree. Only regular files are included: symlinks and submodules are
// left out, so a snapshot never points outside the repository.
func (r Repo) FS(ctx context.Context, rev string, paths ...string) (fs.FS, error) {
	if err := checkRev(rev); err != nil {
		return nil, fmt.Errorf("snapshot %q: %w", rev, err)
	}
	args := []string{"ls-tree", "-r", "-z", "--full-tree", "--end-of-options", rev + "^{tree}"}
	var specs []string
	for _, p := range paths {
		clean := path.Clean(strings.TrimPrefix(p, "./"))
		if !fs.ValidPath(clean) {
			return nil, fmt.Errorf("snapshot %s at %s: invalid repo-relative path", p, rev)
		}
		// ":(literal)" keeps glob characters in a file name from matching other files.
		specs = append(specs, ":(literal)"+clean)
		if clean == "." {
			specs = nil
			break
		}
	}
	args = append(args, specs...)
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: list tree: %w", rev, err)
	}
	entries, err := parseLsTree(out)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", rev, err)
	}
	blobs, err := r.readBlobs(ctx, entries)
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", rev, err)
	}
	files := make(map[string][]byte, len(entries))
	for _, e := range entries {
		files[e.path] = blobs[e.object]
	}
	return newMemFS(files), nil
}

// treeEntry is one regular file from `git ls-tree -r`.
type treeEntry struct {
	object string
	path   string
}

// parseLsTree parses `git ls-tree -r -z` output ("<mode> SP <type> SP <object>
// TAB <path>" NUL), keeping regular files only.
func parseLsTree(out []byte) ([]treeEntry, error) {
	var entries []treeEntry
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) == 0 {
			continue
		}
		meta, p, ok := bytes.Cut(rec, []byte{'\t'})
		f := strings.Fields(string(meta))
		if !ok || len(f) != 3 {
			return nil, fmt.Errorf("parse ls-tree output: malformed entry %q", rec)
		}
		mode, typ, object := f[0], f[1], f[2]
		if typ != "blob" || (mode != "100644" && mode != "100755") {
			continue
		}
		if !fs.ValidPath(string(p)) {
			return nil, fmt.Errorf("parse ls-tree output: invalid path %q", p)
		}
		entries = append(entries, treeEntry{object: object, path: string(p)})
	}
	return entries, nil
}

// readBlobs reads each distinct object in entries through one
// `git cat-file --batch` process.
func (r Repo) readBlobs(ctx context.Context, entries []treeEntry) (map[string][]byte, error) {
	blobs := map[string][]byte{}
	var want []string
	for _, e := range entries {
		if _, seen := blobs[e.object]; !seen {
			blobs[e.object] = nil
			want = append(want, e.object)
		}
	}
	if len(want) == 0 {
		return blobs, nil
	}
	cmd := r.command(ctx, "cat-file", "--batch")
	cmd.Stdin = strings.NewReader(strings.Join(want, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("read blobs: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("read blobs: %w", err)
	}
	readErr := readBatch(bufio.NewReader(stdout), want, blobs)
	if readErr != nil {
		// Drain so git is not blocked writing, then reap it.
		_, _ = io.Copy(io.Discard, stdout)
	}
	waitErr := cmd.Wait()
	if readErr != nil {
		return nil, fmt.Errorf("read blobs: %w", readErr)
	}
	if waitErr != nil {
		return nil, fmt.Errorf("read blobs: %w", commandError([]string{"cat-file"}, waitErr, stderr.Bytes()))
	}
	return blobs, nil
}

// readBatch reads `git cat-file --batch` output: per object a header line
// "<object> <type> <size>", the content, and a newline.
func readBatch(br *bufio.Reader, want []string, blobs map[string][]byte) error {
	for _, object := range want {
		header, err := br.ReadString('\n')
		if err != nil {
			return fmt.Errorf("object %s: read header: %w", object, err)
		}
		f := strings.Fields(header)
		if len(f) == 2 && f[1] == "missing" {
			return fmt.Errorf("object %s is missing from the repository", object)
		}
		if len(f) != 3 || f[0] != object {
			return fmt.Errorf("object %s: unexpected header %q", object, strings.TrimSpace(header))
		}
		size, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("object %s: bad size in header %q", object, strings.TrimSpace(header))
		}
		data := make([]byte, size)
		if _, err := io.ReadFull(br, data); err != nil {
			return fmt.Errorf("object %s: read content: %w", object, err)
		}
		if nl, err := br.ReadByte(); err != nil || nl != '\n' {
			return errors.Join(fmt.Errorf("object %s: content not followed by a newline", object), err)
		}
		blobs[object] = data
	}
	return nil
}
