package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"github.com/promptgate/promptgate/internal/testkit/gittest"
	"gopkg.in/yaml.v3"
)

// actionStep returns the run script of one step of action.yml.
func actionStep(t *testing.T, id string) string {
	t.Helper()
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []struct {
				ID  string `yaml:"id"`
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s.Run
		}
	}
	t.Fatalf("action.yml has no step %q", id)
	return ""
}

// releaseAsset is a promptgate_linux_amd64.tar.gz holding a stand-in binary
// that prints its release, and its checksums.txt line.
func releaseAsset(t *testing.T, version string) (archive []byte, sum string) {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("#!/bin/sh\necho promptgate " + version + "\n")
	if err := tw.WriteHeader(&tar.Header{Name: "promptgate", Mode: 0o755, Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	gz.Close()
	h := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(h[:]) + "  promptgate_linux_amd64.tar.gz\n"
}

// TestActionReleaseStep runs action.yml's release step with bash against a
// fake GitHub (releases API and release downloads): `@v1` must resolve to the
// newest v1.x.y release that has the asset and run it verified; a full
// version downloads directly; a bad checksum stops; anything else builds from
// source with a key for the build cache.
func TestActionReleaseStep(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl", "tar", "sha256sum", "awk"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	script := actionStep(t, "release")
	v120, sum120 := releaseAsset(t, "v1.2.0")
	v130, sum130 := releaseAsset(t, "v1.3.0")
	// v1.10.0 is newest but has no assets (still uploading); v1.3.0's
	// checksums.txt does not match its archive; v2 and a v1 prerelease exist.
	assets := map[string][]byte{
		"/promptgate/promptgate/releases/download/v1.2.0/promptgate_linux_amd64.tar.gz": v120,
		"/promptgate/promptgate/releases/download/v1.2.0/checksums.txt":                 []byte(sum120),
		"/promptgate/promptgate/releases/download/v1.3.0/promptgate_linux_amd64.tar.gz": v130,
		"/promptgate/promptgate/releases/download/v1.3.0/checksums.txt":                 []byte(strings.Replace(sum130, sum130[:8], "00000000", 1)),
	}
	releases := `[{"tag_name": "v2.0.0"}, {"tag_name": "v1.10.0"}, {"tag_name": "v1.11.0-rc.1"}, {"tag_name": "v1.2.0"}, {"tag_name":"v1.1.9"}]`
	var mu sync.Mutex
	var apiCalls []string
	srv := ghfake.NewRoutes(t, ghfake.RoutesOptions{}, map[string]http.HandlerFunc{
		"GET /api/v3/repos/promptgate/promptgate/releases": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			apiCalls = append(apiCalls, r.Header.Get("Authorization"))
			mu.Unlock()
			w.Write([]byte(releases))
		},
		// A tag without a release has no assets: 404, as github.com answers.
		"GET /promptgate/promptgate/releases/download/{tag}/{file}": func(w http.ResponseWriter, r *http.Request) {
			if body, ok := assets[r.URL.Path]; ok {
				w.Write(body)
				return
			}
			http.NotFound(w, r)
		},
	})

	tests := []struct {
		name, ref   string
		wantExit    int
		wantOutputs []string // lines expected in $GITHUB_OUTPUT
		wantRun     string   // what the downloaded binary prints
	}{
		{name: "moving major tag", ref: "v1", wantOutputs: []string{"found=true", "version=v1.2.0"}, wantRun: "promptgate v1.2.0"},
		{name: "moving minor tag", ref: "v1.2", wantOutputs: []string{"found=true", "version=v1.2.0"}, wantRun: "promptgate v1.2.0"},
		{name: "full version", ref: "v1.2.0", wantOutputs: []string{"found=true", "version=v1.2.0"}, wantRun: "promptgate v1.2.0"},
		{name: "checksum mismatch stops", ref: "v1.3.0", wantExit: 1},
		{name: "no release under the tag builds", ref: "v3", wantOutputs: []string{"found=false", "srckey=promptgate-bin-Linux-X64-"}},
		{name: "a branch builds", ref: "main", wantOutputs: []string{"found=false", "srckey=promptgate-bin-Linux-X64-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			actionPath := filepath.Join(tmp, "_actions", "promptgate", "promptgate", tt.ref)
			if err := os.MkdirAll(actionPath, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(actionPath, "go.mod"), []byte("module x\n"), 0o644)
			outFile := filepath.Join(tmp, "output")
			os.WriteFile(outFile, nil, 0o644)
			cmd := exec.Command("bash", "-c", script)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP=" + tmp,
				"GITHUB_OUTPUT=" + outFile, "GITHUB_ACTION_PATH=" + actionPath,
				"SERVER_URL=" + srv.URL, "API_URL=" + srv.URL + "/api/v3", "GH_TOKEN=ghs_fake"}
			out, err := cmd.CombinedOutput()
			code := 0
			if err != nil {
				code = cmd.ProcessState.ExitCode()
			}
			if code != tt.wantExit {
				t.Fatalf("exit %d, want %d\n%s", code, tt.wantExit, out)
			}
			outputs, _ := os.ReadFile(outFile)
			for _, want := range tt.wantOutputs {
				if !strings.Contains(string(outputs), want) {
					t.Errorf("outputs lack %q:\n%s\nlog:\n%s", want, outputs, out)
				}
			}
			if tt.wantRun != "" {
				got, err := exec.Command(filepath.Join(tmp, "promptgate-bin", "promptgate")).Output()
				if err != nil || strings.TrimSpace(string(got)) != tt.wantRun {
					t.Errorf("downloaded binary printed %q (%v), want %q", got, err, tt.wantRun)
				}
			}
		})
	}
	t.Cleanup(func() {
		// Only the moving tags ask the API, each once, with the token.
		mu.Lock()
		defer mu.Unlock()
		if diff := cmp.Diff([]string{"Bearer ghs_fake", "Bearer ghs_fake", "Bearer ghs_fake"}, apiCalls); diff != "" {
			t.Errorf("API calls (-want +got):\n%s", diff)
		}
	})
}

// TestActionCacheKeyStep runs action.yml's cachekey step with bash: the key
// the response cache is saved under differs per run attempt and per shard (the
// jobs of a shard matrix share the run and the attempt, and a key can be saved
// only once), a shard restores its own snapshots first and then any shard's,
// and both cache steps use that key.
func TestActionCacheKeyStep(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "git", "tr"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	raw, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, use := range []string{"actions/cache/restore@v4", "actions/cache/save@v4"} {
		if !strings.Contains(string(raw), "uses: "+use+"\n      with:\n        path: ${{ steps.cachekey.outputs.path }}\n        key: ${{ steps.cachekey.outputs.key }}\n") {
			t.Errorf("the response cache's %s step does not use steps.cachekey.outputs.key", use)
		}
	}
	if !strings.Contains(string(raw), "restore-keys: |\n          ${{ steps.cachekey.outputs.shardprefix }}\n          ${{ steps.cachekey.outputs.prefix }}\n") {
		t.Error("the response cache's restore-keys do not try the shard's own snapshots first, then any shard's")
	}
	script := actionStep(t, "cachekey")
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "prompts"), 0o755)
	os.WriteFile(filepath.Join(dir, "prompts", "a.prompt"), []byte("hi\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "promptgate.yaml"), []byte("{}\n"), 0o644)
	gitInit := exec.Command("git", "-C", dir, "init", "-q")
	gitInit.Env = gittest.Env()
	if out, err := gitInit.CombinedOutput(); err != nil {
		t.Skipf("git init: %v %s", err, out)
	}
	run := func(shard, attempt string) map[string]string {
		t.Helper()
		outFile := filepath.Join(t.TempDir(), "output")
		os.WriteFile(outFile, nil, 0o644)
		cmd := exec.Command("bash", "-c", script)
		cmd.Dir = dir
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "RUNNER_OS=Linux", "RUNNER_TEMP=/tmp/rt",
			"GITHUB_OUTPUT=" + outFile, "GITHUB_RUN_ID=77", "GITHUB_RUN_ATTEMPT=" + attempt,
			"CONFIG=promptgate.yaml", "CACHE_DIR=", "WORKDIR=.", "SHARD=" + shard}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("shard %q: %v\n%s", shard, err, out)
		}
		b, _ := os.ReadFile(outFile)
		got := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, _ := strings.Cut(line, "=")
			got[k] = v
		}
		return got
	}
	keys := map[string]string{}
	var prefix string
	for _, c := range []struct{ shard, attempt string }{{"", "1"}, {"", "2"}, {"1/4", "1"}, {"2/4", "1"}, {"merge", "1"}, {"merge:parts", "2"}} {
		got := run(c.shard, c.attempt)
		if prefix == "" {
			prefix = got["prefix"]
		}
		if got["prefix"] != prefix || !strings.HasPrefix(got["prefix"], "promptgate-Linux-") {
			t.Errorf("shard %q: prefix %q, want the same promptgate-Linux-… prefix %q for every shard", c.shard, got["prefix"], prefix)
		}
		if got["key"] != got["shardprefix"]+"77-"+c.attempt || strings.ContainsAny(got["key"], ",/: ") {
			t.Errorf("shard %q attempt %s: key %q, want shardprefix %q + 77-%s, with no comma, slash, colon or space", c.shard, c.attempt, got["key"], got["shardprefix"], c.attempt)
		}
		// The shard's own snapshots come first, then any shard's.
		if !strings.HasPrefix(got["shardprefix"], prefix) || (c.shard == "") != (got["shardprefix"] == prefix) {
			t.Errorf("shard %q: shardprefix %q, want %q plus the shard (nothing when unsharded)", c.shard, got["shardprefix"], prefix)
		}
		if other, dup := keys[got["key"]]; dup {
			t.Errorf("shards %q and %q share the key %q", other, c.shard+"@"+c.attempt, got["key"])
		}
		keys[got["key"]] = c.shard + "@" + c.attempt
		if got["path"] != "/tmp/rt/promptgate-cache" {
			t.Errorf("path %q", got["path"])
		}
	}
}

// TestActionSourceKey: the binary cache key follows the source the binary is
// built from: a test, a script or test data leaves it alone, a change to a
// package or to go.sum moves it.
func TestActionSourceKey(t *testing.T) {
	t.Parallel()
	script := actionStep(t, "release")
	actionPath := filepath.Join(t.TempDir(), "_actions", "promptgate", "promptgate", "main")
	write := func(name, body string) {
		p := filepath.Join(actionPath, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	key := func() string {
		t.Helper()
		tmp := t.TempDir()
		outFile := filepath.Join(tmp, "output")
		os.WriteFile(outFile, nil, 0o644)
		cmd := exec.Command("bash", "-c", script)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "RUNNER_TEMP=" + tmp,
			"GITHUB_OUTPUT=" + outFile, "GITHUB_ACTION_PATH=" + actionPath, "SERVER_URL=http://127.0.0.1:1", "API_URL=http://127.0.0.1:1/api/v3"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("release step: %v\n%s", err, out)
		}
		outputs, _ := os.ReadFile(outFile)
		for _, line := range strings.Split(string(outputs), "\n") {
			if k, ok := strings.CutPrefix(line, "srckey="); ok {
				return k
			}
		}
		t.Fatalf("no srckey in outputs:\n%s", outputs)
		return ""
	}
	write("go.mod", "module x\n")
	write("go.sum", "a v1 h1:x\n")
	write("cmd/promptgate/main.go", "package main\n")
	write("internal/cost/prices.tsv", "model\tin\tout\n")
	first := key()
	write("internal/cost/cost_test.go", "package cost\n")
	write("scripts/loadgen/main.go", "package main\n")
	write("internal/report/testdata/golden/x.tsv", "x\n")
	if got := key(); got != first {
		t.Errorf("a test, a script or test data moved the key: %s → %s", first, got)
	}
	for _, change := range [][2]string{{"internal/cost/cost.go", "package cost\n"}, {"internal/cost/prices.tsv", "model\tin\tout\nm\t1\t2\n"}, {"go.sum", "b v1 h1:y\n"}} {
		before := key()
		write(change[0], change[1])
		if after := key(); after == before {
			t.Errorf("changing %s left the key at %s", change[0], before)
		}
	}
}
