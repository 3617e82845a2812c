// Package promtest starts real Prometheus and Alertmanager servers for tests, on
// free loopback ports with temporary directories and 1 s scrape and evaluation
// intervals, and serves a test exporter for them to scrape. The servers are the
// Debian packages prometheus and prometheus-alertmanager, which
// scripts/install-test-servers.sh installs. Without them a test fails and says
// how to install them; under -short it is skipped instead.
package promtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Deadline bounds every wait for a server or a condition: generous, because the
// machine running the tests may be busy.
const Deadline = 90 * time.Second

const installHint = "install them with scripts/install-test-servers.sh " +
	"(apt-get install prometheus prometheus-alertmanager), or run go test -short to skip the tests that need them"

// Binary returns the path of the first of names on PATH. When none is there it
// skips the test under -short and fails it otherwise.
func Binary(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skipf("-short: %s not on PATH", strings.Join(names, " or "))
	}
	t.Fatalf("this test needs a real %s on PATH; %s", strings.Join(names, " or "), installHint)
	return ""
}

// Prometheus is a running Prometheus server.
type Prometheus struct {
	// URL is the server's base URL, such as http://127.0.0.1:41234.
	URL string
	log *logBuffer
}

// PrometheusOptions configure StartPrometheus.
type PrometheusOptions struct {
	// Targets are host:port addresses to scrape at /metrics every second.
	Targets []string
	// Rules is the content of one rule file (Prometheus YAML), or "".
	Rules string
	// Alertmanager is the base URL of an Alertmanager to send alerts to, or "".
	Alertmanager string
}

// StartPrometheus starts a Prometheus server and waits until it is ready. It is
// stopped with the test.
func StartPrometheus(t testing.TB, o PrometheusOptions) *Prometheus {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
	if o.Rules != "" {
		write(t, filepath.Join(dir, "rules.yml"), o.Rules)
		cfg.WriteString("rule_files: [rules.yml]\n")
	}
	if o.Alertmanager != "" {
		u, err := url.Parse(o.Alertmanager)
		if err != nil {
			t.Fatalf("alertmanager URL: %v", err)
		}
		fmt.Fprintf(&cfg, "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [%q]\n", u.Host)
	}
	cfg.WriteString("scrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: [")
	for i, tg := range o.Targets {
		if i > 0 {
			cfg.WriteString(", ")
		}
		cfg.WriteString(strconv.Quote(tg))
	}
	cfg.WriteString("]\n")
	write(t, filepath.Join(dir, "prometheus.yml"), cfg.String())
	url, log := run(t, "prometheus", bin, func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr,
			"--web.console.templates=" + dir, "--web.console.libraries=" + dir, "--log.level=warn"}
	})
	return &Prometheus{URL: url, log: log}
}

// Query runs an instant query and returns the values of the vector or scalar
// it answers, or an error.
func (p *Prometheus) Query(ctx context.Context, q string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("decode query answer: %w", err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", q, body.Error)
	}
	var out []float64
	parse := func(pair []any) error {
		s, _ := pair[1].(string)
		f, err := strconv.ParseFloat(s, 64)
		out = append(out, f)
		return err
	}
	switch body.Data.ResultType {
	case "scalar":
		var pair []any
		if err := json.Unmarshal(body.Data.Result, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("scalar answer %s", body.Data.Result)
		}
		return out, parse(pair)
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(body.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("vector answer: %w", err)
		}
		for _, s := range vec {
			if len(s.Value) != 2 {
				return nil, fmt.Errorf("vector sample %v", s.Value)
			}
			if err := parse(s.Value); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %s answer", body.Data.ResultType)
}

// WaitFor polls the query until it answers one value for which ok is true, and
// fails the test after Deadline.
func (p *Prometheus) WaitFor(t testing.TB, q string, ok func(float64) bool) float64 {
	t.Helper()
	var last []float64
	var lastErr error
	for end := time.Now().Add(Deadline); time.Now().Before(end); time.Sleep(250 * time.Millisecond) {
		last, lastErr = p.Query(context.Background(), q)
		if lastErr == nil && len(last) == 1 && ok(last[0]) {
			return last[0]
		}
	}
	t.Fatalf("prometheus: %s never answered as wanted within %s; last %v, error %v\nlog:\n%s", q, Deadline, last, lastErr, p.log)
	return 0
}

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	// URL is the server's base URL.
	URL string
	log *logBuffer
}

// StartAlertmanager starts an Alertmanager that sends every alert, firing and
// resolved, to webhookURL with the bearer token, grouped by flag with 1 s group
// waits, and waits until it is ready. It is stopped with the test.
func StartAlertmanager(t testing.TB, webhookURL, token string) *Alertmanager {
	t.Helper()
	bin := Binary(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: promptgate
  group_by: [promptgate_repo, promptgate_flag]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 2s
receivers:
  - name: promptgate
    webhook_configs:
      - url: %q
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %q
`, webhookURL, token)
	write(t, filepath.Join(dir, "alertmanager.yml"), cfg)
	url, log := run(t, "alertmanager", bin, func(addr string) []string {
		return []string{"--config.file=" + filepath.Join(dir, "alertmanager.yml"),
			"--storage.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr,
			"--cluster.listen-address=", "--log.level=warn"}
	})
	return &Alertmanager{URL: url, log: log}
}

// Log returns what the server wrote so far, for failure messages.
func (a *Alertmanager) Log() string { return a.log.String() }

// Log returns what the server wrote so far, for failure messages.
func (p *Prometheus) Log() string { return p.log.String() }

// run starts bin on a free loopback port and waits until it is ready. A port
// taken by someone else between finding it and binding it makes the server exit;
// then it tries again on another port, a few times.
func run(t testing.TB, name, bin string, args func(addr string) []string) (string, *logBuffer) {
	t.Helper()
	var log *logBuffer
	for range 3 {
		addr := freeAddr(t)
		log = &logBuffer{}
		done := start(t, log, bin, args(addr)...)
		switch waitReady("http://"+addr+"/-/ready", done) {
		case ready:
			return "http://" + addr, log
		case timedOut:
			t.Fatalf("%s not ready at %s within %s:\n%s", name, addr, Deadline, log)
		}
	}
	t.Fatalf("%s exited before it was ready, three times; last output:\n%s", name, log)
	return "", nil
}

// start runs the server until the test ends; done closes when it exits.
func start(t testing.TB, log *logBuffer, bin string, args ...string) <-chan struct{} {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return done
}

type readiness int

const (
	ready readiness = iota
	exited
	timedOut
)

func waitReady(u string, done <-chan struct{}) readiness {
	for end := time.Now().Add(Deadline); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		select {
		case <-done:
			return exited
		default:
		}
		resp, err := http.Get(u)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return ready
			}
		}
	}
	return timedOut
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// logBuffer collects a server's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buf.Len() < 1<<20 {
		l.buf.Write(p)
	}
	return len(p), nil
}

func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }
