package shard

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Shard
		wantErr string
	}{
		{in: "", want: Shard{}},
		{in: "1/1", want: Shard{K: 1, N: 1}},
		{in: "2/4", want: Shard{K: 2, N: 4}},
		{in: " 3 / 4 ", want: Shard{K: 3, N: 4}},
		{in: "0/4", wantErr: "needs 1 ≤ K ≤ N"},
		{in: "5/4", wantErr: "needs 1 ≤ K ≤ N"},
		{in: "1/0", wantErr: "needs 1 ≤ K ≤ N"},
		{in: "1/2000", wantErr: "N ≤ 1024"},
		{in: "2", wantErr: "is not K/N"},
		{in: "a/b", wantErr: "whole numbers"},
		{in: "1/4/2", wantErr: "whole numbers"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if got.String() != strings.ReplaceAll(strings.TrimSpace(tt.in), " ", "") {
			t.Errorf("String() = %q for %q", got.String(), tt.in)
		}
	}
}

// TestDisjointAndBalanced: every case run is in exactly one of N shards, and
// the shards are of similar size.
func TestDisjointAndBalanced(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 2, 4, 7} {
		counts := make([]int, n)
		for _, path := range []string{"evals/a.yaml", "evals/b.yaml"} {
			for i := range 500 {
				for rep := range 2 {
					in := 0
					for k := 1; k <= n; k++ {
						if (Shard{K: k, N: n}).Has(path, i, fmt.Sprintf("case %d", i), rep) {
							in++
							counts[k-1]++
						}
					}
					if in != 1 {
						t.Fatalf("N=%d: %s case %d repeat %d is in %d shards", n, path, i, rep, in)
					}
				}
			}
		}
		for k, c := range counts {
			if want := 2000 / n; c < want*3/4 || c > want*5/4 {
				t.Errorf("N=%d: shard %d has %d of 2000 runs, want %d ± 25%%", n, k+1, c, want)
			}
		}
	}
	if !(Shard{}).Has("x", 0, "", 0) {
		t.Error("the whole run must have every case")
	}
}

// FuzzParse: no input panics, and what parses prints back and is in range.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"1/4", "0/0", "-1/3", "99999999999999999999/1", "1/", "/", " 2 / 3 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := Parse(s)
		if err != nil {
			return
		}
		if sh.Enabled() && (sh.K < 1 || sh.K > sh.N || sh.N > maxShards) {
			t.Fatalf("Parse(%q) = %+v out of range", s, sh)
		}
		again, err := Parse(sh.String())
		if err != nil || again != sh {
			t.Fatalf("Parse(%q) = %+v does not round-trip: %+v, %v", s, sh, again, err)
		}
	})
}
