package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/webreport"
)

// hostile is a model answer that would run script and load a URL if it
// reached the page as markup.
const hostile = `</pre><script>window.__pwned = 1</script><img src="http://127.0.0.1:9/x.png" onerror="window.__pwned = 2"><iframe src="http://127.0.0.1:9/"></iframe>`

// chromiumPath finds Debian's chromium (scripts/install-test-servers.sh
// installs it). Outside CI a machine without it skips the browser tests; in
// CI they must run.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed, and CI=true needs the browser tests: run scripts/install-test-servers.sh")
	}
	t.Skip("chromium is not installed (scripts/install-test-servers.sh installs it); skipping the headless-browser tests")
	return ""
}

// startView runs `promptgate view FILE` and returns the URL it prints; the
// server stops when the test ends, and must exit 0.
func startView(t *testing.T, file string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"view", file}, func(string) string { return "" }, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("view printed no URL: %v (exit %d)", err, <-code)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	t.Cleanup(func() {
		cancel()
		if c := <-code; c != ExitOK {
			t.Errorf("view exited %d after interrupt, want 0", c)
		}
	})
	i := strings.Index(line, "http://127.0.0.1:")
	if i < 0 {
		t.Fatalf("view printed %q, want a http://127.0.0.1: URL", line)
	}
	return strings.Fields(line[i:])[0]
}

// browser starts a headless chromium with a fresh profile and records every
// request the page makes.
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.Headless, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute) // a loaded CI machine starts chromium slowly
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	var mu sync.Mutex
	var urls []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			urls = append(urls, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("enable network events: %v", err)
	}
	return ctx, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), urls...)
	}
}

func run(id int, desc string, st eval.Status, out string) eval.CaseResult {
	return eval.CaseResult{Index: id, Description: desc, Line: 10 + id, Status: st, Output: out}
}

func suiteOf(path, prompt string, cases ...eval.CaseResult) *eval.SuiteResult {
	s := &eval.SuiteResult{Path: path, Prompt: prompt, Model: "gpt-4.1-mini", Threshold: 0.5, Cases: cases}
	for _, c := range cases {
		switch c.Status {
		case eval.StatusPass:
			s.Passed++
		case eval.StatusFail:
			s.Failed++
		case eval.StatusError:
			s.Errored++
		}
	}
	return s
}

// browserCheck is a check of two prompts: one regressed case, one flaky,
// one passing, and in the other suite a hostile answer that fails.
func browserCheck() check.Outcome {
	flakyHead := []eval.CaseResult{run(2, "flaky tone", eval.StatusPass, "ok"), run(2, "flaky tone", eval.StatusFail, "meh")}
	flakyHead[1].Repeat = 1
	sumBase := suiteOf("evals/summarize.yaml", "summarize",
		run(1, "names the customer", eval.StatusPass, "Ada wrote in"), run(2, "flaky tone", eval.StatusPass, "ok"),
		run(3, "short", eval.StatusPass, "short"))
	sumHead := suiteOf("evals/summarize.yaml", "summarize", append(append([]eval.CaseResult{
		run(1, "names the customer", eval.StatusFail, "someone wrote in")}, flakyHead...),
		run(3, "short", eval.StatusPass, "short"))...)
	triHead := suiteOf("evals/triage.yaml", "triage", run(1, "hostile answer", eval.StatusFail, hostile),
		run(2, "<b>bold</b> description", eval.StatusPass, "billing"))
	triBase := suiteOf("evals/triage.yaml", "triage", run(1, "hostile answer", eval.StatusFail, "x"),
		run(2, "<b>bold</b> description", eval.StatusPass, "billing"))
	return check.Outcome{BaseSHA: "1111111aaaa", HeadSHA: "2222222bbbb", Result: verdict.Result{
		Conclusion: verdict.ConclusionFailure,
		Prompts: []verdict.PromptDiff{
			{Key: "summarize", Prompt: "summarize", SuitePath: "evals/summarize.yaml", Base: sumBase, Head: sumHead},
			{Key: "triage", Prompt: "triage", SuitePath: "evals/triage.yaml", Base: triBase, Head: triHead},
		},
		Gates: []verdict.Gate{{Name: verdict.GateRegression, Fired: true, Enforced: true, Detail: "1 case regressed"}},
	}}
}

// visible counts the case rows a person sees, and reads the counter.
func visible(ctx context.Context, t *testing.T) (int, string) {
	t.Helper()
	n := evalJS[int](ctx, t, `Array.from(document.querySelectorAll("tr.case")).filter(r => r.offsetParent !== null).length`)
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#shown")))
	if err != nil {
		t.Fatalf("read the counter: %v", err)
	}
	return n, shown
}

// evalJS runs a script in the page and returns its value.
func evalJS[T any](ctx context.Context, t *testing.T, script string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](script))
	if err != nil {
		t.Fatalf("evaluate %q: %v", script, err)
	}
	return v
}

func TestHTMLReportInHeadlessBrowser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	outcome := browserCheck()
	b, err := json.Marshal(outcome)
	if err != nil {
		t.Fatal(err)
	}
	jsonFile := filepath.Join(dir, "report.json")
	if err := os.WriteFile(jsonFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	url := startView(t, jsonFile)
	ctx, requests := browser(t)

	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#shown"))); err != nil {
		t.Fatalf("load the report: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	pwned := evalJS[int](ctx, t, `window.__pwned === undefined ? 0 : window.__pwned`)
	injected := evalJS[int](ctx, t, `document.querySelectorAll("main script, main img, main iframe, main pre b, td.desc > b > b").length`)
	hostileText := evalJS[string](ctx, t, `Array.from(document.querySelectorAll("pre.output")).map(p => p.textContent).find(s => s.includes("__pwned")) || ""`)
	hostileHTML := evalJS[string](ctx, t, `Array.from(document.querySelectorAll("tr.case")).map(r => r.textContent).join("\n")`)
	if !strings.Contains(title, "promptgate check") {
		t.Errorf("title %q", title)
	}
	if pwned != 0 || injected != 0 {
		t.Errorf("the hostile answer ran or became markup: __pwned=%d, injected elements=%d", pwned, injected)
	}
	if hostileText != hostile {
		t.Errorf("the hostile answer is not shown as its text:\n got %q\nwant %q", hostileText, hostile)
	}
	if !strings.Contains(hostileHTML, "<b>bold</b> description") {
		t.Errorf("a description with markup is not shown as text")
	}

	// Every case renders; each filter shows what it names.
	steps := []struct {
		name, action string
		want         int
		counter      string
	}{
		{"all", "", 5, "5 of 5 cases shown"},
		{"regressed", `document.getElementById("f-regressed").click()`, 1, "1 of 5 cases shown"},
		{"flaky", `document.getElementById("f-flaky").click()`, 1, "1 of 5 cases shown"},
		{"failing", `document.getElementById("f-failing").click()`, 3, "3 of 5 cases shown"},
		{"failing in one suite", `(s => { s.value = "evals/triage.yaml"; s.dispatchEvent(new Event("change")) })(document.getElementById("f-suite"))`, 1, "1 of 5 cases shown"},
		{"all in one suite", `document.getElementById("f-all").click()`, 2, "2 of 5 cases shown"},
	}
	for _, s := range steps {
		if s.action != "" {
			evalJS[any](ctx, t, s.action)
		}
		n, shown := visible(ctx, t)
		if n != s.want || shown != s.counter {
			t.Errorf("filter %s: %d rows visible (%q), want %d (%q)", s.name, n, shown, s.want, s.counter)
		}
	}
	regressedDesc := evalJS[string](ctx, t, `document.getElementById("f-regressed").click(); (s => { s.value = ""; s.dispatchEvent(new Event("change")) })(document.getElementById("f-suite")); Array.from(document.querySelectorAll("tr.case")).filter(r => r.offsetParent !== null).map(r => r.querySelector(".desc b").textContent).join(",")`)
	if regressedDesc != "names the customer" {
		t.Errorf("regressed filter shows %q, want the one regressed case", regressedDesc)
	}

	// The only request is the page itself: no CDN, no image, no font, no frame.
	for _, u := range requests() {
		if u != url {
			t.Errorf("the page made a request to %s; it must load nothing but itself", u)
		}
	}
	if len(requests()) == 0 {
		t.Error("saw no request at all: the network listener is not working")
	}
}

// TestEvalHTMLFileInHeadlessBrowser opens an eval report written as a file
// (eval -o report.html) through view: the script runs under the page's own
// Content-Security-Policy, which allows it by hash.
func TestEvalHTMLFileInHeadlessBrowser(t *testing.T) {
	t.Parallel()
	rep := &eval.Report{Suites: []*eval.SuiteResult{
		suiteOf("evals/a.yaml", "a", run(1, "one", eval.StatusPass, "fine"), run(2, "two", eval.StatusFail, hostile)),
		suiteOf("evals/b.yaml", "b", run(1, "three", eval.StatusError, "")),
	}}
	file := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := webreport.Write(f, webreport.FromEval(rep)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	url := startView(t, file)
	ctx, requests := browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#shown"))); err != nil {
		t.Fatalf("load the report: %v", err)
	}
	pwned := evalJS[int](ctx, t, `window.__pwned === undefined ? 0 : window.__pwned`)
	if pwned != 0 {
		t.Errorf("the hostile answer ran: __pwned=%d", pwned)
	}
	if n, shown := visible(ctx, t); n != 3 || shown != "3 of 3 cases shown" {
		t.Errorf("%d rows visible (%q), want all 3", n, shown)
	}
	// The filter script ran (it is allowed by its hash): failing leaves 2.
	evalJS[any](ctx, t, `document.getElementById("f-failing").click()`)
	if n, shown := visible(ctx, t); n != 2 || shown != "2 of 3 cases shown" {
		t.Errorf("failing filter: %d rows visible (%q), want 2", n, shown)
	}
	for _, u := range requests() {
		if u != url {
			t.Errorf("the page made a request to %s", u)
		}
	}
}
