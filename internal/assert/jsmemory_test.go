//go:build !race

package assert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestJavascriptBoundsChild runs the hostile scripts in a fresh process and
// prints its peak RSS; TestJavascriptMemoryBounded starts it.
func TestJavascriptBoundsChild(t *testing.T) {
	if os.Getenv("PROMPTGATE_JS_BOUNDS_CHILD") == "" {
		t.Skip("run through TestJavascriptMemoryBounded")
	}
	for _, tt := range hostileScripts {
		a := mustCompile(t, Spec{Type: "javascript", Value: tt.code})
		_, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, Env{JSTimeout: time.Second})
		fmt.Printf("CASE %q ended: %v\n", tt.name, err)
		if !errors.Is(err, errJSLimit) {
			t.Errorf("%s: error %v, want a limit", tt.name, err)
		}
	}
	fmt.Printf("PEAK_RSS_KB=%d\n", peakRSSKB(t))
}

// TestJavascriptMemoryBounded is the bar: scripts that would build a
// 128 Mi-element array or grow without end stay under 1 GB peak RSS, each
// ending at a named limit.
func TestJavascriptMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestJavascriptBoundsChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "PROMPTGATE_JS_BOUNDS_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	i := bytes.Index(out, []byte("PEAK_RSS_KB="))
	if i < 0 {
		t.Fatalf("child printed no PEAK_RSS_KB:\n%s", out)
	}
	kb, _ := strconv.Atoi(strings.Fields(string(out[i+len("PEAK_RSS_KB="):]))[0])
	t.Logf("peak RSS over %d hostile scripts: %.1f MB", len(hostileScripts), float64(kb)/1024)
	if kb > 1024*1024 {
		t.Errorf("peak RSS %.1f MB, want < 1 GB\n%s", float64(kb)/1024, out)
	}
}

// peakRSSKB reads this process's peak resident set size.
func peakRSSKB(t *testing.T) int {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.Fields(rest)[0])
			return kb
		}
	}
	t.Skip("no VmHWM in /proc/self/status")
	return 0
}
