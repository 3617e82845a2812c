package cli

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// randomRepo is a prompt with n cases asserting "right", at base worded
// "Classify" and at head "Classify the text" (a rewording).
func randomRepo(t *testing.T, n int) (dir, base, head string) {
	dir = t.TempDir()
	git(t, dir, "init", "-q")
	var suite strings.Builder
	suite.WriteString("prompt: classify\nthreshold: 0.5\ntests:\n")
	for i := range n {
		fmt.Fprintf(&suite, "  - description: case%02d\n    vars: {text: \"case%02d\"}\n    assert: [{type: icontains, value: right}]\n", i, i)
	}
	writeFiles(t, dir, map[string]string{"promptgate.yaml": "traffic: {}\n",
		"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify"), "evals/classify.yaml": suite.String()})
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-qm", "base")
	base = git(t, dir, "rev-parse", "HEAD")
	writeFiles(t, dir, map[string]string{"prompts/classify.prompt": fmt.Sprintf(scenarioPrompt, "gpt-4.1-mini", "Classify the text")})
	git(t, dir, "commit", "-qam", "head: reworded")
	return dir, base, git(t, dir, "rev-parse", "HEAD")
}

// randomModel answers case i "right" with probability base[i] to the base
// wording and head[i] to the head wording, drawing from one seeded source;
// with --concurrency 1 the calls come in a fixed order, so a run is
// reproducible.
func randomModel(t *testing.T, seed uint64, base, head []float64) (func() int, string) {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, 7))
	caseRe := regexp.MustCompile(`case(\d+)`)
	srv, calls := answeringModel(t, func(model, text string) string {
		m := caseRe.FindStringSubmatch(text)
		if m == nil {
			t.Errorf("random model: no case in %q", text)
			return ""
		}
		i, _ := strconv.Atoi(m[1])
		p := base[i]
		if strings.HasPrefix(text, "Classify the text") {
			p = head[i]
		}
		mu.Lock()
		defer mu.Unlock()
		if rng.Float64() < p {
			return "right"
		}
		return "wrong"
	})
	return func() int { return calls()["gpt-4.1-mini"] }, srv.URL
}

func runLocalCheck(t *testing.T, dir, base, head, modelURL, cacheDir string) (int, string) {
	t.Helper()
	env := map[string]string{"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": modelURL + "/v1"}
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), []string{"check", "-C", dir, "--base", base, "--head", head, "--concurrency", "1", "--cache-dir", cacheDir},
		func(k string) string { return env[k] }, &stdout, &stderr)
	if code != ExitOK && code != ExitGateFail {
		t.Fatalf("check: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	return code, stdout.String()
}

// TestCheckConfirmsFlipsEndToEnd runs `promptgate check` against a model
// that answers at random per case: one always-right case breaks, ten cases
// are right 70% of the time on both sides. The check fails naming exactly
// the broken case, lists the noise as flaky, spends less than three first
// passes, and a rerun makes no call and reaches the same verdict.
func TestCheckConfirmsFlipsEndToEnd(t *testing.T) {
	t.Parallel()
	const n = 40
	base, head := make([]float64, n), make([]float64, n)
	for i := range n {
		base[i], head[i] = 1, 1
		if i >= 30 {
			base[i], head[i] = 0.7, 0.7
		}
	}
	head[0] = 0
	dir, b, h := randomRepo(t, n)
	calls, url := randomModel(t, 42, base, head)
	cacheDir := filepath.Join(t.TempDir(), "cache")
	code, out := runLocalCheck(t, dir, b, h, url, cacheDir)
	if code != ExitGateFail {
		t.Fatalf("exit %d, want %d (case00 is broken)\n%s", code, ExitGateFail, out)
	}
	named := regexp.MustCompile(`❌ classify · (case\d+)`).FindAllStringSubmatch(out, -1)
	if len(named) != 1 || named[0][1] != "case00" {
		t.Errorf("regressed cases named %v, want exactly case00\n%s", named, out)
	}
	first := calls()
	if first <= 2*n || first >= 3*2*n {
		t.Errorf("%d model calls, want more than one pass (%d, the flips are confirmed) and under three (%d)", first, 2*n, 3*2*n)
	}
	if !strings.Contains(out, "**Confirmation:**") || !strings.Contains(out, "base 11/11 · head 0/11") {
		t.Errorf("report lacks the confirmation line or case00's counts:\n%s", out)
	}
	code2, out2 := runLocalCheck(t, dir, b, h, url, cacheDir)
	if got := calls() - first; got != 0 {
		t.Errorf("rerun made %d model calls, want 0 (every sample is cached)", got)
	}
	gates := func(s string) string { g, _, _ := strings.Cut(s, "**Budget:**"); return g }
	if code2 != code || gates(out2) != gates(out) {
		t.Errorf("rerun: exit %d, gates\n%s\nwant exit %d, gates\n%s", code2, gates(out2), code, gates(out))
	}
}

// TestCheckDeterministicSuiteCostsNoExtraCall: when every case answers the
// same at both sides, nothing flips and the check makes one pass only.
func TestCheckDeterministicSuiteCostsNoExtraCall(t *testing.T) {
	t.Parallel()
	const n = 20
	p := make([]float64, n)
	for i := range p {
		p[i] = float64(i % 2) // half always right, half always wrong
	}
	dir, b, h := randomRepo(t, n)
	calls, url := randomModel(t, 1, p, p)
	code, out := runLocalCheck(t, dir, b, h, url, filepath.Join(t.TempDir(), "cache"))
	if code != 0 {
		t.Fatalf("exit %d, want 0\n%s", code, out)
	}
	if got := calls(); got != 2*n {
		t.Errorf("%d model calls, want %d (one pass per side, no confirmation)", got, 2*n)
	}
	if strings.Contains(out, "**Confirmation:**") {
		t.Errorf("report has a confirmation line though nothing flipped:\n%s", out)
	}
}
