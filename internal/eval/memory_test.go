//go:build !race

package eval

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// peakRSSKB reads this process's peak resident set size (VmHWM) from /proc.
func peakRSSKB(t testing.TB) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}

// TestMemoryChild runs one sized eval and prints its peak RSS; TestMemoryFlat
// starts it in a fresh process per size so each measurement is clean.
func TestMemoryChild(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv("PROMPTGATE_MEM_CASES"))
	if err != nil {
		t.Skip("run through TestMemoryFlat")
	}
	runAgainstLatency(t, n, 50, time.Millisecond)
	fmt.Printf("PEAK_RSS_KB=%d\n", peakRSSKB(t))
}

// TestMemoryFlat is the memory bar: 5,000 cases stay under 60 MB peak RSS,
// and 10× the cases does not cost anywhere near 10× the memory (bound: 2×;
// measured 1.42–1.45×).
func TestMemoryFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns two child processes")
	}
	measure := func(n int) int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "PROMPTGATE_MEM_CASES="+strconv.Itoa(n))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with %d cases: %v\n%s", n, err, out)
		}
		i := bytes.Index(out, []byte("PEAK_RSS_KB="))
		if i < 0 {
			t.Fatalf("child printed no PEAK_RSS_KB:\n%s", out)
		}
		kb, _ := strconv.Atoi(strings.Fields(string(out[i+len("PEAK_RSS_KB="):]))[0])
		return kb
	}
	small, large := measure(500), measure(5000)
	t.Logf("peak RSS: 500 cases %.1f MB, 5000 cases %.1f MB (ratio %.2f)", float64(small)/1024, float64(large)/1024, float64(large)/float64(small))
	if large > 60*1024 {
		t.Errorf("5000 cases peaked at %.1f MB, want < 60 MB", float64(large)/1024)
	}
	// Proportional growth would be ~10×. What does grow is what must: the suite's
	// cases (~0.7 KB each once parsed) and their results (~0.25 KB each), plus
	// GC headroom; allow 2×.
	if float64(large) > 2*float64(small) {
		t.Errorf("memory grew %.2f× for 10× the cases; it should stay roughly flat", float64(large)/float64(small))
	}
}
