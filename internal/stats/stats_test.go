package stats

import (
	"math"
	"testing"
)

func near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (±%g)", name, got, want, tol)
	}
}

// cases expands a 2×2 paired table (one sample per side) into per-case results.
func cases(bothPass, baseOnly, headOnly, neither int) []Case {
	var out []Case
	add := func(n, b, h int) {
		for range n {
			out = append(out, Case{BasePass: b, BaseN: 1, HeadPass: h, HeadN: 1})
		}
	}
	add(bothPass, 1, 1)
	add(baseOnly, 1, 0)
	add(headOnly, 0, 1)
	add(neither, 0, 0)
	return out
}

// TestPairedDiffAgresti is the presidential approval example of Agresti, An
// Introduction to Categorical Data Analysis (2nd ed., 2007), Table 8.1 and
// section 8.1.1: 1600 people, 794 approve at both surveys, 150 only at the
// first, 86 only at the second, 570 at neither. The book gives the
// proportions 0.59 and 0.55, the difference −0.04 with standard error
// 0.0095 and the 95% interval −0.04 ± 1.96(0.0095) = (−0.06, −0.02).
func TestPairedDiffAgresti(t *testing.T) {
	t.Parallel()
	p := PairedDiff(cases(794, 150, 86, 570), 0.95)
	if p.N != 1600 {
		t.Fatalf("N = %d, want 1600", p.N)
	}
	near(t, "base rate", p.BaseRate, 0.59, 1e-12)
	near(t, "head rate", p.HeadRate, 0.55, 1e-12)
	near(t, "diff", p.Diff, -0.04, 1e-12)
	near(t, "SE", p.SE, 0.0095, 0.00006)
	near(t, "lo", p.Lo, -0.0587, 0.0001)
	near(t, "hi", p.Hi, -0.0213, 0.0001)
}

// TestPairedDiffClustered: a case sampled several times counts once, and the
// standard error comes from the spread of per-case differences (Miller 2024,
// section on clustered standard errors).
func TestPairedDiffClustered(t *testing.T) {
	t.Parallel()
	p := PairedDiff([]Case{
		{BasePass: 4, BaseN: 4, HeadPass: 2, HeadN: 4}, // d = -0.5
		{BasePass: 3, BaseN: 4, HeadPass: 3, HeadN: 4}, // d = 0
		{BasePass: 1, BaseN: 2, HeadPass: 2, HeadN: 2}, // d = +0.5
		{BasePass: 2, BaseN: 2, HeadPass: 0, HeadN: 2}, // d = -1
		{BasePass: 0, BaseN: 0, HeadPass: 1, HeadN: 1}, // not graded at base: left out
	}, 0.95)
	// mean -0.25, sample variance ((−.25)²+(.25)²+(.75)²+(−.75)²)/3 = 1.25/3
	near(t, "diff", p.Diff, -0.25, 1e-12)
	near(t, "SE", p.SE, math.Sqrt(1.25/3/4), 1e-12)
	near(t, "lo", p.Lo, -0.25-1.959964*math.Sqrt(1.25/3/4), 1e-6)
	if p.N != 4 {
		t.Errorf("N = %d, want 4", p.N)
	}
}

// TestSignFlipMcNemar: with one sample per side the sign-flip test is
// McNemar's exact (binomial) test. Published values: Fagerland, Lydersen and
// Laake, BMC Med Res Methodol 13:91 (2013), Table 1 example (airway
// hyper-responsiveness, 1 and 7 discordant pairs): exact conditional
// two-sided p = 0.070 (= 2 × 9/256); and b = 12, c = 5: exact two-sided
// p = 0.1435 (= 2 × 9402/131072).
func TestSignFlipMcNemar(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		neg, pos         int
		worse, better    float64
		twoSidedReported float64
	}{
		{"Fagerland 1 vs 7", 1, 7, 1 - 1.0/256, 9.0 / 256, 0.070},
		// P(12 or more of 17 negative) = P(5 or fewer) = 9402/2^17; P(12 or fewer) = 1 − 3214/2^17.
		{"12 vs 5", 12, 5, 9402.0 / 131072, 1 - 3214.0/131072, 0.1435},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cs := cases(0, tc.neg, tc.pos, 3)
			var d []float64
			for _, c := range cs {
				x, _ := c.Diff()
				d = append(d, x)
			}
			w, b := SignFlip(d)
			near(t, "worse", w, tc.worse, 1e-9)
			near(t, "better", b, tc.better, 1e-9)
			near(t, "two-sided", 2*min(w, b), tc.twoSidedReported, 0.0005)
		})
	}
}

// TestSignFlipExactEnumeration checks the enumeration path against a count
// done by hand: d = {−1, −0.5, +0.25}: of the 8 sign patterns, the sums at
// or below −1.25 are −1.75 and −1.25, so p(worse) = 2/8.
func TestSignFlipExactEnumeration(t *testing.T) {
	t.Parallel()
	w, b := SignFlip([]float64{-1, 0, -0.5, 0.25})
	near(t, "worse", w, 2.0/8, 1e-12)
	near(t, "better", b, 7.0/8, 1e-12)
	if w, b := SignFlip([]float64{0, 0}); w != 1 || b != 1 {
		t.Errorf("no differences: p = %v, %v, want 1, 1", w, b)
	}
}

// TestSignFlipSampled: above exactFlips nonzero differences the p-value is
// estimated from seeded draws; it must agree with the normal approximation
// of the sum and be the same on every call.
func TestSignFlipSampled(t *testing.T) {
	t.Parallel()
	var d []float64
	for i := range 40 {
		d = append(d, 0.1+float64(i%5)*0.2)
		if i%3 == 0 {
			d[i] = -d[i]
		}
	}
	w1, _ := SignFlip(d)
	w2, _ := SignFlip(d)
	if w1 != w2 {
		t.Fatalf("sampled p-value differs between calls: %v vs %v", w1, w2)
	}
	sum, sq := 0.0, 0.0
	for _, x := range d {
		sum += x
		sq += x * x
	}
	z := sum / math.Sqrt(sq)
	near(t, "worse vs normal approximation", w1, 0.5*math.Erfc(-z/math.Sqrt2), 0.02) // P(Z ≤ z)
}

// TestFisherTeaTasting is Fisher's lady tasting tea (The Design of
// Experiments, 1935; Agresti 2007 Table 2.8): 3 of 4 cups right each way,
// one-sided p = 17/70 = 0.243.
func TestFisherTeaTasting(t *testing.T) {
	t.Parallel()
	near(t, "p", FisherGreater(3, 4, 1, 4), 17.0/70, 1e-12)
	near(t, "all vs none, 10 each", FisherGreater(10, 10, 0, 10), 1/184756.0, 1e-15)
	near(t, "equal", FisherGreater(2, 4, 2, 4), 1-1.0/70-16.0/70, 1e-12)
	if p := FisherGreater(0, 0, 1, 1); p != 1 {
		t.Errorf("no samples: p = %v, want 1", p)
	}
}

// TestBenjaminiHochberg is the worked example of Benjamini and Hochberg,
// "Controlling the False Discovery Rate", JRSS B 57 (1995), section 4: of
// these 15 p-values at q = 0.05 the procedure rejects the four smallest
// (Bonferroni rejects three).
func TestBenjaminiHochberg(t *testing.T) {
	t.Parallel()
	p := []float64{0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000}
	// shuffled, so the rule cannot lean on the order it is given
	shuffled := []int{14, 3, 0, 9, 5, 1, 12, 7, 2, 10, 4, 13, 6, 11, 8}
	in := make([]float64, len(p))
	for i, j := range shuffled {
		in[i] = p[j]
	}
	got := BenjaminiHochberg(in, 0.05)
	for i, j := range shuffled {
		if want := j < 4; got[i] != want {
			t.Errorf("p = %v: rejected %v, want %v", p[j], got[i], want)
		}
	}
	// step-up: a small p-value further down carries the ones above it
	if got := BenjaminiHochberg([]float64{0.04, 0.045}, 0.05); !got[0] || !got[1] {
		t.Errorf("BH(0.04, 0.045) = %v, want both rejected (0.045 ≤ 0.05·2/2)", got)
	}
	if got := BenjaminiHochberg([]float64{0.03, 0.06}, 0.05); got[0] || got[1] {
		t.Errorf("BH(0.03, 0.06) = %v, want none (0.03 > 0.05·1/2)", got)
	}
}
