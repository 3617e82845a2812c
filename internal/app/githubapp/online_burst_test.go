package githubapp

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/promptgate/promptgate/internal/testkit/llmfake"
)

// TestOnlineBurst is the burst measurement behind docs/online.md's figures,
// run by scripts/online-burst.sh (PROMPTGATE_ONLINE_BURST=1); it asserts
// nothing about time, it prints what it measured. A real `promptgate serve`
// process takes 20,000 traced requests in OTLP exports while its llm-rubric
// judge takes 1 s per call: every sample must be counted, the ungraded ones
// as dropped, and it prints serve's peak RSS and the slowest /healthz answer
// seen during the burst and the drain.
func TestOnlineBurst(t *testing.T) {
	if os.Getenv("PROMPTGATE_ONLINE_BURST") == "" {
		t.Skip("set PROMPTGATE_ONLINE_BURST=1 (scripts/online-burst.sh) to run the burst measurement")
	}
	const requests = 20_000
	dir := t.TempDir()
	bin := filepath.Join(dir, "promptgate")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "../../../cmd/promptgate").CombinedOutput(); err != nil {
		t.Fatalf("build promptgate: %v\n%s", err, out)
	}
	judge := httptest.NewServer(llmfake.New(llmfake.Options{Latency: time.Second,
		Respond: func(llmfake.Request) llmfake.Reply {
			return llmfake.Reply{Content: `{"reason":"ok","pass":true,"score":1}`}
		}}))
	defer judge.Close()
	_, pemBytes := appKey(t)
	gh := fakeRepo(t)
	gh.DefaultBranch = "master"
	gh.Installations["Codertocat/Hello-World"] = 1
	gh.SetFile("master", flagsPath, []byte(splitFlags))
	gh.SetFile("master", "promptgate.yaml", []byte("providers:\n  default:\n    base_url: "+judge.URL+"/v1\n    concurrency: 8\n"+
		"rollout:\n  flags_file: "+flagsPath+"\nonline:\n  summarize:\n    assert:\n      - type: llm-rubric\n        value: The summary is polite.\n"))

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "PROMPTGATE_APP_ID=42", "PROMPTGATE_PRIVATE_KEY="+string(pemBytes),
		"PROMPTGATE_WEBHOOK_SECRET="+testSecret, "PROMPTGATE_LISTEN="+addr, "GITHUB_API_URL="+gh.URL,
		"PROMPTGATE_OTLP_TOKENS=Codertocat/Hello-World="+otlpToken, "PROMPTGATE_ONLINE_QUEUE=200", "PROMPTGATE_LOG_LEVEL=warn",
		// The burst measures the grading pool, not the export rate: its ~80
		// exports arrive in a second or two, near the default burst of 100.
		"PROMPTGATE_OTLP_RATE=10000")
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(os.Interrupt); _ = cmd.Wait() }()
	url := "http://" + addr
	eventually(t, "serve to answer /healthz", func() bool {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	}, logs.String)

	// Watch /healthz and the RSS until the end.
	var mu sync.Mutex
	var took []time.Duration
	var failed int
	stop := make(chan struct{})
	var watch sync.WaitGroup
	watch.Add(1)
	go func() {
		defer watch.Done()
		// A probe fails on an error or a status other than 200, not on time:
		// the time is measured, and printed.
		client := &http.Client{Timeout: time.Minute}
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			start := time.Now()
			resp, err := client.Get(url + "/healthz")
			d := time.Since(start)
			mu.Lock()
			if err != nil || resp.StatusCode != 200 {
				failed++
			}
			took = append(took, d)
			mu.Unlock()
			if err == nil {
				resp.Body.Close()
			}
		}
	}()

	start := time.Now()
	if err := exportAnswers(url, otlpToken, 0, requests, func(i int, v string) string { return fmt.Sprintf(`{"summary":"answer %d"}`, i) }); err != nil {
		t.Fatalf("export: %v", err)
	}
	sent := time.Since(start)
	var samples, dropped, graded float64
	eventually(t, "every sample counted and settled", func() bool {
		m := metricsText(t, url)
		samples = sumMetric(m, "promptgate_online_samples_total")
		dropped = sumMetric(m, "promptgate_online_dropped_total")
		graded = sumMetric(m, "promptgate_online_evals_total")
		return samples == requests && dropped+graded == requests
	}, logs.String)
	settled := time.Since(start)
	close(stop)
	watch.Wait()
	peak := peakRSS(t, cmd.Process.Pid)
	slices.Sort(took)
	p99 := took[len(took)*99/100]
	fmt.Printf("online burst: %d requests exported in %s; all settled after %s\n", requests, sent.Round(time.Millisecond), settled.Round(time.Millisecond))
	fmt.Printf("online burst: samples %g of %d sent, graded %g (judge 1 s per call, 4 workers, queue 200), dropped %g\n", samples, requests, graded, dropped)
	fmt.Printf("online burst: serve peak RSS %.1f MB; /healthz p99 %s, slowest %s over %d probes, %d failed\n",
		float64(peak)/(1<<20), p99.Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond), len(took), failed)
	if samples != requests || dropped+graded != requests || failed > 0 {
		t.Errorf("samples %g, dropped %g + graded %g, failed probes %d", samples, dropped, graded, failed)
	}
	if peak >= 250<<20 {
		t.Errorf("serve's peak RSS %d MB, want under 250 MB", peak>>20)
	}
}

var metricLine = regexp.MustCompile(`(?m)^(\w+)\{[^}]*\} (\S+)$`)

// sumMetric adds up every series of name in a /metrics text.
func sumMetric(text, name string) float64 {
	var sum float64
	for _, m := range metricLine.FindAllStringSubmatch(text, -1) {
		if m[1] == name {
			v, _ := strconv.ParseFloat(m[2], 64)
			sum += v
		}
	}
	return sum
}

// peakRSS reads a process's peak resident set (VmHWM) from /proc, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatalf("read serve's memory: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
