// Package diag carries user-facing diagnostics: problems in a user's files that
// name the file and line, so the CLI can print them as "file:line: message" and
// map them to exit status 2.
package diag

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"
)

// Error is a problem in a user's input file. File is repo-relative where possible;
// Line is 1-based, or 0 when no line applies (a missing file, say).
type Error struct {
	File string
	Line int
	Msg  string
}

// Errorf builds an *Error at file:line.
func Errorf(file string, line int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	switch {
	case e.File == "":
		return e.Msg
	case e.Line <= 0:
		return e.File + ": " + e.Msg
	default:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
}

// List is several input problems reported together, so a user fixes them in one pass.
type List []*Error

func (l List) Error() string {
	s := ""
	for i, e := range l {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

// Err returns nil for an empty list, so callers can `return list.Err()`.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// IsInput reports whether err is (or wraps) a user-input problem, which the CLI
// maps to exit status 2.
func IsInput(err error) bool {
	var e *Error
	var l List
	return errors.As(err, &e) || errors.As(err, &l)
}

// Append adds err to l: a List is flattened, an *Error appended, and any other
// error wrapped as a message without position.
func Append(l List, err error) List {
	var list List
	var e *Error
	switch {
	case err == nil:
		return l
	case errors.As(err, &list):
		return append(l, list...)
	case errors.As(err, &e):
		return append(l, e)
	default:
		return append(l, &Error{Msg: err.Error()})
	}
}

// DidYouMean suggests the closest known word when got is a plausible typo of it
// (edit distance under 3, case-insensitive), or else the one known word that
// got is a clipped form of (max_cost_increase for max_cost_increase_pct), as
// ` (did you mean "x"?)`, or "".
func DidYouMean(got string, known []string) string {
	best, bestDist := "", 3
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	lower := strings.ToLower(got)
	for _, k := range sorted {
		if d := levenshtein.ComputeDistance(lower, strings.ToLower(k)); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" && len(got) >= 4 {
		var prefixed []string
		for _, k := range sorted {
			if strings.HasPrefix(strings.ToLower(k), lower) {
				prefixed = append(prefixed, k)
			}
		}
		if len(prefixed) == 1 {
			best = prefixed[0]
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
