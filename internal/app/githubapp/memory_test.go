package githubapp

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/app/webhook"
)

// TestSlowUnsignedBodiesCostLittleMemory: 40 connections that claim 25 MB bodies,
// carry a well-formed but wrong signature and trickle their bytes must not grow
// serve's heap by anything like 40 × 25 MB. It measures the heap (memory, not
// time) while all 40 are inside the handler. The figure goes in docs/benchmarks.md.
func TestSlowUnsignedBodiesCostLittleMemory(t *testing.T) {
	r := newRig(t)
	const conns = 40
	var entered atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		entered.Add(1)
		r.srv.Handler().ServeHTTP(w, req)
	}))
	defer hs.Close()
	addr := strings.TrimPrefix(hs.URL, "http://")

	before, rssBefore := heapInuse(), rss()
	var cs []net.Conn
	defer func() {
		for _, c := range cs {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
		event := []string{"push", "issue_comment", "check_run", "installation"}[i%4]
		_, err = fmt.Fprintf(c, "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nX-GitHub-Event: %s\r\n"+
			"X-GitHub-Delivery: slow-%d\r\nX-Hub-Signature-256: sha256=%s\r\n\r\n{", webhook.DefaultMaxBody, event, i, strings.Repeat("0", 64))
		if err != nil {
			t.Fatal(err)
		}
	}
	// Sample while the requests come in, then while they trickle.
	var peak uint64
	for deadline := time.Now().Add(90 * time.Second); entered.Load() < conns && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		peak = max(peak, heapInuse())
	}
	for range 10 {
		for _, c := range cs {
			_, _ = c.Write([]byte(" ")) // trickle; a refused request's connection may be gone
		}
		time.Sleep(10 * time.Millisecond)
		peak = max(peak, heapInuse())
	}
	growth := int64(peak) - int64(before)
	t.Logf("%d slow unsigned 25 MB requests: heap in use grew by %.1f MB; RSS %.1f → %.1f MB (whole test binary, for the record)",
		conns, float64(growth)/(1<<20), float64(rssBefore)/(1<<20), float64(rss())/(1<<20))
	if growth > 150<<20 {
		t.Errorf("heap grew by %d MB, want under 150 MB", growth>>20)
	}
	if n := entered.Load(); n != conns {
		t.Errorf("%d of %d requests reached the handler", n, conns)
	}
}

// rss is the process's resident set on Linux (0 elsewhere); it is logged, not asserted.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
