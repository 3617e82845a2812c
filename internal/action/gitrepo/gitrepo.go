// Package gitrepo reads a git repository's history without touching its working
// tree: it resolves revisions, fetches a missing base commit into a shallow
// clone, lists the files changed between two commits and snapshots paths at a
// commit into an in-memory fs.FS. It shells out to the git binary, so it sees
// exactly what `git` in the Action's checkout sees.
package gitrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// DefaultRemote is the remote EnsureCommit fetches from when Repo.Remote is empty;
// actions/checkout names it origin.
const DefaultRemote = "origin"

// Repo is a local git repository (a work tree or a bare repository).
type Repo struct {
	// Dir is the repository directory; "" means the current directory.
	Dir string
	// Remote is the remote EnsureCommit fetches from; "" means DefaultRemote.
	Remote string
}

// FileChange is one path in a diff between two commits.
type FileChange struct {
	// Path is the file's path at head ("/"-separated, repo-relative). For a
	// deletion it is the path the file had at base.
	Path string
	// OldPath is the path at base for a rename, "" otherwise.
	OldPath string
	// Status is 'A' (added), 'M' (modified, including a type change), 'D'
	// (deleted) or 'R' (renamed, possibly also modified).
	Status byte
}

// Resolve turns a revision (branch, tag, "HEAD~1", a short or full SHA) into the
// full SHA of the commit it names.
func (r Repo) Resolve(ctx context.Context, rev string) (string, error) {
	if err := checkRev(rev); err != nil {
		return "", fmt.Errorf("resolve %q: %w", rev, err)
	}
	out, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("resolve %q: no such commit in %s: %w", rev, r.dirName(), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// EnsureCommit makes sure the commit sha is present locally. actions/checkout
// clones at fetch-depth 1, so a PR's base commit is usually missing; EnsureCommit
// then runs `git fetch --no-tags --depth=1 <remote> <sha>`, which GitHub serves
// for any commit reachable in the repository.
func (r Repo) EnsureCommit(ctx context.Context, sha string) error {
	if !isHexSHA(sha) {
		return fmt.Errorf("ensure commit %q: not a full commit SHA (40 or 64 hex digits)", sha)
	}
	if r.hasCommit(ctx, sha) {
		return nil
	}
	remote := r.remote()
	_, err := r.git(ctx, nil, "fetch", "--no-tags", "--no-write-fetch-head", "--depth=1", "--end-of-options", remote, sha)
	if err != nil {
		return fmt.Errorf("fetch commit %s from %s: %w\n"+
			"promptgate needs the base commit to compare base and head. With actions/checkout's default "+
			"fetch-depth of 1 it fetches that commit itself; this fails when the remote %q does not exist, "+
			"the token cannot read the repository, or the commit is gone (a force-push). "+
			"Use `fetch-depth: 0` in actions/checkout, or pass an existing commit as the base input",
			sha, remote, err, remote)
	}
	if !r.hasCommit(ctx, sha) {
		return fmt.Errorf("fetch commit %s from %s: the fetch succeeded but the commit is still missing", sha, remote)
	}
	return nil
}

// RemoteBranch returns the SHA a branch points to on the remote, without
// fetching it (`git ls-remote`). A push that creates a branch has no previous
// commit, so promptgate compares it with the default branch, which a depth-1
// clone of the new branch does not have; pass the SHA to EnsureCommit next.
func (r Repo) RemoteBranch(ctx context.Context, branch string) (string, error) {
	branch = strings.TrimPrefix(branch, "refs/heads/")
	if err := checkRev(branch); err != nil {
		return "", fmt.Errorf("look up branch %q on %s: %w", branch, r.remote(), err)
	}
	ref := "refs/heads/" + branch
	out, err := r.git(ctx, nil, "ls-remote", "--end-of-options", r.remote(), ref)
	if err != nil {
		return "", fmt.Errorf("look up branch %s on %s: %w", branch, r.remote(), err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		sha, name, ok := strings.Cut(line, "\t")
		if ok && name == ref && isHexSHA(sha) {
			return sha, nil
		}
	}
	return "", fmt.Errorf("look up branch %s on %s: no such branch", branch, r.remote())
}

// ChangedFiles lists the files that differ between the commits base and head,
// with renames detected (`git diff --name-status -M -z base head`). It is a
// two-dot diff of the two trees, not a three-dot diff from their merge base,
// because a depth-1 clone has no history to find a merge base in. For a PR that
// is behind its base branch, changes made on the base branch since the fork point
// therefore show up too (reverted); they only cost an extra evaluation.
func (r Repo) ChangedFiles(ctx context.Context, base, head string) ([]FileChange, error) {
	for _, rev := range []string{base, head} {
		if err := checkRev(rev); err != nil {
			return nil, fmt.Errorf("diff %s..%s: %w", base, head, err)
		}
	}
	out, err := r.git(ctx, nil, "diff", "--name-status", "-M", "-z", "--no-ext-diff", "--no-textconv",
		"--no-relative", base, head, "--")
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", base, head, err)
	}
	changes, err := ParseNameStatus(out)
	if err != nil {
		return nil, fmt.Errorf("diff %s..%s: %w", base, head, err)
	}
	return changes, nil
}

// Prefix returns Dir's path below the top of its work tree ("" at the top,
// "services/api/" below it), as `git rev-parse --show-prefix` prints it. FS and
// ChangedFiles name files from the top, so a caller rooted below it must know.
func (r Repo) Prefix(ctx context.Context) (string, error) {
	out, err := r.git(ctx, nil, "rev-parse", "--show-prefix")
	if err != nil {
		return "", fmt.Errorf("find %s in its work tree: %w", r.dirName(), err)
	}
	return strings.TrimSpace(string(out)), nil
}

// hasCommit reports whether sha names a commit present in the object store.
func (r Repo) hasCommit(ctx context.Context, sha string) bool {
	_, err := r.git(ctx, nil, "cat-file", "-e", sha+"^{commit}")
	return err == nil
}

func (r Repo) remote() string {
	if r.Remote != "" {
		return r.Remote
	}
	return DefaultRemote
}

func (r Repo) dirName() string {
	if r.Dir == "" {
		return "."
	}
	return r.Dir
}

// git runs one git command in the repository and returns its stdout. Its stderr
// becomes part of the error. Prompts for credentials are disabled: in CI a
// prompt would hang the job.
func (r Repo) git(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, commandError(args, err, stderr.Bytes())
	}
	return stdout.Bytes(), nil
}

func (r Repo) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "GIT_OPTIONAL_LOCKS=0")
	return cmd
}

func commandError(args []string, err error, stderr []byte) error {
	name := "git"
	if len(args) > 0 {
		name += " " + args[0]
	}
	msg := strings.TrimSpace(string(stderr))
	var exit *exec.ExitError
	if errors.As(err, &exit) && msg != "" {
		return fmt.Errorf("%s: %s", name, msg)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// checkRev rejects revisions git would read as an option.
func checkRev(rev string) error {
	switch {
	case rev == "":
		return errors.New("empty revision")
	case strings.HasPrefix(rev, "-"):
		return errors.New("a revision must not start with '-'")
	case strings.ContainsAny(rev, "\x00\n"):
		return errors.New("revision contains a control character")
	}
	return nil
}

func isHexSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Uncommitted lists the files under paths that differ from HEAD in the work
// tree or the index, untracked files included (`git status --porcelain -z`),
// so `check`, which reads commits only, can say what it is leaving out.
func (r Repo) Uncommitted(ctx context.Context, paths ...string) ([]string, error) {
	args := append([]string{"status", "--porcelain=v1", "-z", "--untracked-files=all", "--"}, paths...)
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("list uncommitted changes: %w", err)
	}
	return ParseStatus(out), nil
}

// ParseStatus reads `git status --porcelain=v1 -z` output: "XY path" entries,
// NUL-terminated, a rename or copy followed by its source path, which is skipped.
func ParseStatus(out []byte) []string {
	var files []string
	fields := bytes.Split(out, []byte{0})
	for i := 0; i < len(fields); i++ {
		e := fields[i]
		if len(e) < 4 {
			continue
		}
		files = append(files, string(e[3:]))
		if e[0] == 'R' || e[0] == 'C' {
			i++
		}
	}
	return files
}
