// Package shard splits an eval run into N disjoint parts by case identity, so
// several GitHub Actions jobs can share a large suite and `promptgate merge`
// can put their reports back together.
package shard

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// Shard is part K of N (1 ≤ K ≤ N). The zero value is the whole run.
type Shard struct {
	K, N int
}

// maxShards bounds N; more jobs than this is a typo, not a plan.
const maxShards = 1024

// Parse reads "K/N", as in --shard 2/4 and the action's shard input. An
// empty string is the whole run.
func Parse(s string) (Shard, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Shard{}, nil
	}
	k, n, ok := strings.Cut(s, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q is not K/N, like 2/4", s)
	}
	ki, err1 := strconv.Atoi(strings.TrimSpace(k))
	ni, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q is not K/N with whole numbers, like 2/4", s)
	}
	if ni < 1 || ni > maxShards || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("shard %q needs 1 ≤ K ≤ N ≤ %d", s, maxShards)
	}
	return Shard{K: ki, N: ni}, nil
}

// Enabled reports whether this is a part rather than the whole run.
func (s Shard) Enabled() bool { return s.N > 0 }

// String is "K/N", or "" for the whole run.
func (s Shard) String() string {
	if !s.Enabled() {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Has reports whether a case run belongs to this shard. A case is named by
// its suite file, its description (its index when it has none, so renumbering
// does not move described cases) and its repeat; the same case lands in the
// same shard on every run, so each shard's response cache stays warm.
func (s Shard) Has(suitePath string, index int, description string, repeat int) bool {
	if !s.Enabled() {
		return true
	}
	id := description
	if id == "" {
		id = "#" + strconv.Itoa(index)
	}
	h := xxhash.New()
	_, _ = h.WriteString(suitePath)
	_, _ = h.WriteString("\x00")
	_, _ = h.WriteString(id)
	_, _ = h.WriteString("\x00")
	_, _ = h.WriteString(strconv.Itoa(repeat))
	return int(h.Sum64()%uint64(s.N)) == s.K-1
}

// Complete checks that specs ("K/N", one per report) are exactly the N parts
// of one run; names[i] names the report specs[i] came from, for errors.
func Complete(specs, names []string) error {
	if len(specs) == 0 {
		return fmt.Errorf("merge: no reports")
	}
	seen := map[int]string{}
	n := 0
	for i, spec := range specs {
		sh, err := Parse(spec)
		if err != nil || !sh.Enabled() {
			return fmt.Errorf("merge: %s is not a shard's report (run eval or check with --shard K/N)", names[i])
		}
		if n == 0 {
			n = sh.N
		}
		if sh.N != n {
			return fmt.Errorf("merge: %s is shard %s, but %s is one of %d", names[i], sh, names[0], n)
		}
		if prev, dup := seen[sh.K]; dup {
			return fmt.Errorf("merge: %s and %s are both shard %s", prev, names[i], sh)
		}
		seen[sh.K] = names[i]
	}
	for k := 1; k <= n; k++ {
		if _, ok := seen[k]; !ok {
			return fmt.Errorf("merge: shard %d/%d is missing (got %d of %d reports); a shard job that failed "+
				"or was cancelled must be rerun before its results can count", k, n, len(specs), n)
		}
	}
	return nil
}
