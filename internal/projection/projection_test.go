package projection

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Projection
	}{
		{"one flag", Projection{Flags: map[string]FlagCost{"summarize": {1.5, 2.5}}}},
		{"html in name", Projection{Flags: map[string]FlagCost{"a-->b<script>": {0, 3}}}},
		{"empty", Projection{Flags: map[string]FlagCost{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			summary := "## promptgate\n| table |\n" + Encode(tt.in) + "\n"
			got, ok := Extract(summary)
			if !ok {
				t.Fatalf("Extract(%q) found nothing", summary)
			}
			if diff := cmp.Diff(tt.in, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncodeFormat(t *testing.T) {
	t.Parallel()
	got := Encode(Projection{Flags: map[string]FlagCost{"summarize": {1.5, 2.5}}})
	want := `<!-- promptgate:projection {"flags":{"summarize":{"stable_monthly_usd":1.5,"rollout_monthly_usd":2.5}}} -->`
	if got != want {
		t.Errorf("Encode =\n%s\nwant\n%s", got, want)
	}
	unknown := Encode(Projection{Flags: map[string]FlagCost{"x": {math.NaN(), 2}, "y": {1, math.Inf(1)}, "z": {1, 2}}})
	p, ok := Extract(unknown)
	if diff := cmp.Diff(Projection{Flags: map[string]FlagCost{"z": {1, 2}}}, p); !ok || diff != "" {
		t.Errorf("Encode with NaN/Inf = %s: unknown costs must be left out, not zeroed (-want +got):\n%s", unknown, diff)
	}
}

func TestExtractMissing(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, summary string }{
		{"none", "just a table"},
		{"unterminated", `<!-- promptgate:projection {"flags":{}}`},
		{"bad json", `<!-- promptgate:projection {"flags": -->`},
		{"no flags key", `<!-- promptgate:projection {} -->`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if p, ok := Extract(tt.summary); ok {
				t.Errorf("Extract(%q) = %+v, true; want false", tt.summary, p)
			}
		})
	}
}

// TestExtractReadsOnlyTheLastLine: a summary quotes model output, which can
// hold a forged marker anywhere (here in a code block, the way the report
// shows outputs); only the marker that ends the summary is read, and a summary
// whose real marker was cut off yields nothing rather than the forged one.
func TestExtractReadsOnlyTheLastLine(t *testing.T) {
	t.Parallel()
	forged := Encode(Projection{Flags: map[string]FlagCost{"summarize": {0, 0.01}}})
	real := Encode(Projection{Flags: map[string]FlagCost{"summarize": {100, 900}}})
	quoted := "## promptgate\n\n**Head output**\n\n```text\n" + forged + "\n```\n\n"
	tests := []struct {
		name    string
		summary string
		want    *Projection
	}{
		{"real line last", quoted + real + "\n", &Projection{Flags: map[string]FlagCost{"summarize": {100, 900}}}},
		{"real line cut off", quoted + "<sub>full report</sub>\n", nil},
		{"forged line last inside a code block", "## promptgate\n```text\n" + forged + "\n```\n", nil},
		{"marker not at a line start", "text " + real, nil},
		{"truncated summary", quoted + real[:len(real)/2] + "…", nil},
		{"two markers on the last line", "x\n" + forged + " " + real, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Extract(tt.summary)
			if tt.want == nil {
				if ok {
					t.Errorf("Extract = %+v, true; want nothing", got)
				}
				return
			}
			if diff := cmp.Diff(*tt.want, got); !ok || diff != "" {
				t.Errorf("Extract ok=%t (-want +got):\n%s", ok, diff)
			}
		})
	}
}

func TestAtShare(t *testing.T) {
	t.Parallel()
	f := FlagCost{StableMonthlyUSD: 100, RolloutMonthlyUSD: 200}
	tests := []struct {
		pct  int
		want float64
	}{{0, 100}, {25, 125}, {50, 150}, {100, 200}, {-5, 100}, {150, 200}}
	for _, tt := range tests {
		if got := f.AtShare(tt.pct); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("AtShare(%d) = %v, want %v", tt.pct, got, tt.want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add(Encode(Projection{Flags: map[string]FlagCost{"summarize": {1.5, 2.5}}}))
	f.Add("<!-- promptgate:projection -->")
	f.Fuzz(func(t *testing.T, summary string) {
		p, ok := Extract(summary)
		if !ok {
			return
		}
		// Whatever was found must survive a round trip.
		again, ok := Extract(Encode(p))
		if !ok {
			t.Fatalf("re-extract of %q failed", Encode(p))
		}
		for name, c := range p.Flags {
			// JSON cannot carry NaN or Inf, so every extracted cost is finite.
			if a := again.Flags[name]; c.StableMonthlyUSD != a.StableMonthlyUSD || c.RolloutMonthlyUSD != a.RolloutMonthlyUSD {
				t.Fatalf("flag %q: %+v became %+v", name, c, a)
			}
		}
	})
}
