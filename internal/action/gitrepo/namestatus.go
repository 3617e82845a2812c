package gitrepo

import (
	"bytes"
	"fmt"
)

// ParseNameStatus parses the output of `git diff --name-status -z`: for each
// file a status field, then one path, or two (old, new) for renames and copies,
// every field NUL-terminated. A type change (T) is reported as a modification;
// a copy (C) as an addition of the new path, since the source is unchanged.
// Unmerged (U) and unknown (X) entries are errors: they never appear in a diff
// of two commits.
func ParseNameStatus(out []byte) ([]FileChange, error) {
	fields := bytes.Split(out, []byte{0})
	// -z terminates every field with NUL, so the last element is empty.
	if n := len(fields); n > 0 && len(fields[n-1]) == 0 {
		fields = fields[:n-1]
	}
	var changes []FileChange
	for i := 0; i < len(fields); {
		status := fields[i]
		if len(status) == 0 {
			return nil, fmt.Errorf("parse diff output: empty status field at entry %d", len(changes)+1)
		}
		next := func() (string, error) {
			i++
			if i >= len(fields) || len(fields[i]) == 0 {
				return "", fmt.Errorf("parse diff output: status %q without a path", status)
			}
			return string(fields[i]), nil
		}
		var c FileChange
		switch code := status[0]; code {
		case 'A', 'M', 'D', 'T':
			p, err := next()
			if err != nil {
				return nil, err
			}
			c = FileChange{Path: p, Status: code}
			if code == 'T' {
				c.Status = 'M'
			}
		case 'R', 'C':
			oldPath, err := next()
			if err != nil {
				return nil, err
			}
			newPath, err := next()
			if err != nil {
				return nil, err
			}
			c = FileChange{Path: newPath, OldPath: oldPath, Status: 'R'}
			if code == 'C' {
				c = FileChange{Path: newPath, Status: 'A'}
			}
		default:
			return nil, fmt.Errorf("parse diff output: unexpected status %q", status)
		}
		changes = append(changes, c)
		i++
	}
	return changes, nil
}
