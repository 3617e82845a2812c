// Package stats holds the statistics behind a check's verdicts: the paired
// difference of two pass rates with a case-clustered interval (Miller,
// "Adding Error Bars to Evals", 2024), an exact sign-flip test of that
// difference, Fisher's exact test for one case sampled several times at each
// side, and the Benjamini–Hochberg rule that spreads one error budget over
// many cases. It is pure and has no notion of suites or models.
package stats

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Case is one case's samples at the two sides being compared: how many of its
// graded runs passed, of how many, at base and at head.
type Case struct {
	BasePass, BaseN int
	HeadPass, HeadN int
}

// Diff is the per-case difference of pass fractions, head minus base; ok is
// false when a side has no graded run.
func (c Case) Diff() (float64, bool) {
	if c.BaseN == 0 || c.HeadN == 0 {
		return 0, false
	}
	return float64(c.HeadPass)/float64(c.HeadN) - float64(c.BasePass)/float64(c.BaseN), true
}

// Paired is the change of a suite's pass rate, base → head, from paired
// per-case results. Rates are means of per-case pass fractions, so a case
// sampled several times counts once (clustering by case).
type Paired struct {
	// N is the number of cases graded at both sides.
	N                  int
	BaseRate, HeadRate float64
	// Diff is HeadRate − BaseRate; SE its standard error from the spread of
	// the per-case differences; Lo and Hi the interval at Level.
	Diff, SE float64
	Lo, Hi   float64
	Level    float64
}

// PairedDiff computes the paired difference of pass rates with a normal
// interval at level (0.95 for 95%): per case d = head fraction − base
// fraction, Diff = mean(d), SE = sd(d)/√n with the n−1 sample variance.
// With one sample per side this is the Wald interval for a difference of
// paired proportions (Agresti); with several it is Miller's clustered one.
// Cases not graded at both sides are left out; with fewer than two cases the
// interval is the whole range.
func PairedDiff(cases []Case, level float64) Paired {
	var base, head, d []float64
	for _, c := range cases {
		x, ok := c.Diff()
		if !ok {
			continue
		}
		base = append(base, float64(c.BasePass)/float64(c.BaseN))
		head = append(head, float64(c.HeadPass)/float64(c.HeadN))
		d = append(d, x)
	}
	p := Paired{N: len(d), Level: level, Lo: -1, Hi: 1}
	if p.N == 0 {
		return p
	}
	p.BaseRate, p.HeadRate = stat.Mean(base, nil), stat.Mean(head, nil)
	p.Diff = stat.Mean(d, nil)
	if p.N < 2 {
		return p
	}
	p.SE = math.Sqrt(stat.Variance(d, nil) / float64(p.N))
	z := distuv.UnitNormal.Quantile(1 - (1-level)/2)
	p.Lo, p.Hi = max(-1, p.Diff-z*p.SE), min(1, p.Diff+z*p.SE)
	return p
}

// exactFlips is the most nonzero differences SignFlip enumerates exactly
// (2^16 sign patterns); above it the p-values are estimated from
// flipDraws seeded draws, so they are the same on every run.
const (
	exactFlips = 16
	flipDraws  = 20000
)

// SignFlip tests whether the per-case differences d lean one way: under the
// null hypothesis that base and head answer every case alike, and when the
// sampling is the same whichever side is called base, each difference is as
// likely to be negative as positive. It returns the one-sided p-values of
// "head is worse" (the sum of d this low or lower) and "head is better",
// counting ties for the hypothesis, so both are conservative. Zero
// differences carry no information and are dropped.
func SignFlip(d []float64) (worse, better float64) {
	var nz []float64
	sum := 0.0
	for _, x := range d {
		if x != 0 {
			nz = append(nz, math.Abs(x))
			sum += x
		}
	}
	m := len(nz)
	if m == 0 {
		return 1, 1
	}
	const eps = 1e-9
	if slices.Max(nz)-slices.Min(nz) < eps {
		// Equal magnitudes (one sample per side): the number of negative
		// differences is Binomial(m, ½), which is McNemar's exact test.
		neg := 0
		for _, x := range d {
			if x < 0 {
				neg++
			}
		}
		b := distuv.Binomial{N: float64(m), P: 0.5}
		return 1 - b.CDF(float64(neg)-1), b.CDF(float64(neg))
	}
	lowOrEq, highOrEq, total := 0, 0, 0
	count := func(s float64) {
		total++
		if s <= sum+eps {
			lowOrEq++
		}
		if s >= sum-eps {
			highOrEq++
		}
	}
	if m <= exactFlips {
		for mask := range 1 << m {
			s := 0.0
			for i, x := range nz {
				if mask&(1<<i) != 0 {
					s -= x
				} else {
					s += x
				}
			}
			count(s)
		}
	} else {
		rng := rand.New(rand.NewPCG(1, 2))
		for range flipDraws {
			s := 0.0
			for _, x := range nz {
				if rng.Uint64()&1 == 0 {
					s -= x
				} else {
					s += x
				}
			}
			count(s)
		}
		// the observed signs are one of the possible draws
		total++
		lowOrEq++
		highOrEq++
	}
	return float64(lowOrEq) / float64(total), float64(highOrEq) / float64(total)
}

// FisherGreater is the one-sided p-value of Fisher's exact test that the
// first group's pass rate is higher than the second's: the chance, with the
// margins fixed, that the first group holds aPass or more of the passes.
func FisherGreater(aPass, aN, bPass, bN int) float64 {
	if aN <= 0 || bN <= 0 {
		return 1
	}
	passes, n := aPass+bPass, aN+bN
	p := 0.0
	for k := aPass; k <= min(aN, passes); k++ {
		p += math.Exp(logChoose(passes, k) + logChoose(n-passes, aN-k) - logChoose(n, aN))
	}
	return min(1, p)
}

func logChoose(n, k int) float64 {
	if k < 0 || k > n {
		return math.Inf(-1)
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// BenjaminiHochberg applies the Benjamini–Hochberg step-up rule to p at
// level q: with the p-values sorted, it finds the largest rank k whose
// p-value is at most q·k/m and rejects the k smallest. Among the hypotheses
// it rejects, the expected share of true nulls is at most q (for independent
// tests); when every null is true, as when a change alters nothing, the
// chance of rejecting any is at most q.
func BenjaminiHochberg(p []float64, q float64) []bool {
	order := make([]int, len(p))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	k := 0
	for rank, i := range order {
		if p[i] <= q*float64(rank+1)/float64(len(p)) {
			k = rank + 1
		}
	}
	out := make([]bool, len(p))
	for _, i := range order[:k] {
		out[i] = true
	}
	return out
}

// MeanInterval is the mean of x with a normal interval at level from the
// n−1 sample variance: a pass rate over cases, each x a case's pass
// fraction, clustered by case. Fewer than two values give the whole range
// [0, 1] around the mean.
func MeanInterval(x []float64, level float64) (mean, lo, hi float64) {
	if len(x) == 0 {
		return 0, 0, 1
	}
	mean = stat.Mean(x, nil)
	if len(x) < 2 {
		return mean, 0, 1
	}
	se := math.Sqrt(stat.Variance(x, nil) / float64(len(x)))
	z := distuv.UnitNormal.Quantile(1 - (1-level)/2)
	return mean, max(0, mean-z*se), min(1, mean+z*se)
}

// NormalQuantile is the standard normal quantile, for callers sizing samples.
func NormalQuantile(p float64) float64 { return distuv.UnitNormal.Quantile(p) }
