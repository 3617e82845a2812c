// Package flagd reads and edits OpenFeature flagd flag definition files
// (https://flagd.dev/reference/flag-definitions/). It is the only package that
// decodes the flags file: the App's rollouts edit it, the check reads each
// flag's variants and split from it, and change detection compares two
// versions of it through Summarize.
//
// Edits are minimal: changing a rollout rewrites only the fractional weight
// numbers and leaves every other byte (comments, key order, indentation, line
// endings) as it was. Nothing is ever re-marshalled. Every edit is checked
// before it is returned: the result must pass flagd's schema, read back as the
// requested split, and decode to the original document with only the weights
// (or the newly added targeting) changed.
package flagd

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/diag"
)

// Format is the syntax of a flags file.
type Format int

const (
	// JSON is a .json flags file, flagd's default.
	JSON Format = iota
	// YAML is a .yaml or .yml flags file.
	YAML
)

// String returns the format's name.
func (f Format) String() string {
	if f == YAML {
		return "YAML"
	}
	return "JSON"
}

// FormatForPath picks the format from a file name the way flagd does: .yaml and
// .yml (any case) are YAML, anything else is JSON.
func FormatForPath(path string) Format {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return YAML
	default:
		return JSON
	}
}

// Split is a flag's current rollout split.
type Split struct {
	// Flag is the flag key.
	Flag string
	// Stable is the flag's defaultVariant; Rollout is the variant being rolled out.
	Stable, Rollout string
	// RolloutPct is the share of targeting keys flagd serves the rollout
	// variant, 0..100, rounded from the relative fractional weights.
	RolloutPct int
	// HasFractional is false when the flag has no fractional targeting yet,
	// in which case every key gets the stable variant and RolloutPct is 0.
	HasFractional bool
}

// ErrFlagNotFound means the flags file has no flag with the requested key.
// Errors wrap it, so test with errors.Is.
var ErrFlagNotFound = errors.New("flag not found")

// InFile returns err with the flags file's path filled into any *diag.Error
// it carries, so a caller that knows the path can report "file:line: msg".
// Other errors come back unchanged.
func InFile(err error, path string) error {
	var de *diag.Error
	if !errors.As(err, &de) {
		return err
	}
	cp := *de
	cp.File = path
	if err == error(de) {
		return &cp
	}
	return fmt.Errorf("%s: %w", path, err)
}

// Flags returns the keys of all flags in a valid flags file, sorted.
func Flags(doc []byte, f Format) ([]string, error) {
	sem, err := readSemantic(doc, f)
	if err != nil {
		return nil, err
	}
	flags, _ := sem["flags"].(map[string]any)
	return slices.Sorted(maps.Keys(flags)), nil
}

// ReadSplit returns the rollout split of one flag. The stable variant is the
// flag's defaultVariant; the rollout variant is its only other variant, or the
// one named by the flag's metadata.rolloutVariant when it has several. The
// split is read from a top-level fractional rule in the flag's targeting.
func ReadSplit(doc []byte, f Format, flag string) (Split, error) {
	d, err := load(doc, f)
	if err != nil {
		return Split{}, err
	}
	m, err := d.managed(flag)
	if err != nil {
		return Split{}, err
	}
	return m.split, nil
}

// document is a parsed, valid flags file.
type document struct {
	src    []byte
	format Format
	sem    map[string]any // how flagd reads it
	root   *node          // the same, with source positions
	starts []int          // YAML line offsets, computed on first use
}

func load(src []byte, f Format) (*document, error) {
	sem, err := readSemantic(src, f)
	if err != nil {
		return nil, err
	}
	var root *node
	if f == YAML {
		root, err = parseYAML(src)
	} else {
		root, err = parseJSON(src)
	}
	if err != nil {
		return nil, err
	}
	// The tree must describe exactly what flagd sees, or an edit located in
	// the tree could land somewhere flagd does not look.
	if !reflect.DeepEqual(root.value(), any(sem)) {
		return nil, diag.Errorf("", 0, "flags file uses %s constructs promptgate cannot edit safely", f)
	}
	return &document{src: src, format: f, sem: sem, root: root}, nil
}
