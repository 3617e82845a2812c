// Command record-fixture re-records the repo's committed response cache
// (.promptgate/cache) from the hand-written answers in testdata/fixture/answers.yaml.
//
// No real model is involved. It renders every eval case with promptgate's own
// prompt renderer, starts the test kit's fake OpenAI chat-completions server
// (internal/testkit/llmfake) on 127.0.0.1, answering each request with its
// hand-written reply (each llm-rubric judge request with its hand-written
// verdict, and each request of a tool-using case's tool loop with that turn's
// scripted tool calls or reply), and runs `promptgate eval` against it with a
// dummy key, so the cache is written by the real client path. It then labels
// every entry as a fixture, pins `created` and `latency_ms` so a re-run
// produces identical files, replaces the committed cache with the result
// (keeping the committed file of a call answered exactly as before), and
// replays it with `promptgate eval --offline` as a check.
//
// Usage, from the repo root:
//
//	go run ./scripts/record-fixture
//	go run ./scripts/record-fixture -C path/to/repo -v
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/cli"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/project"
)

// Note is written into every recorded entry, so nobody mistakes the fixture
// for the output of a real model.
const Note = "FIXTURE: hand-written answer recorded through promptgate's real client against a local fake server (scripts/record-fixture); not output of a real model"

// recordedAt is the `created` time of every entry. A fixed time keeps re-runs
// byte-identical; it is when this fixture was first written.
var recordedAt = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "record-fixture: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fl := flag.NewFlagSet("record-fixture", flag.ContinueOnError)
	fl.SetOutput(stderr)
	root := fl.String("C", ".", "repo `dir`")
	answersPath := fl.String("answers", "testdata/fixture/answers.yaml", "hand-written answers `file`, relative to the repo")
	out := fl.String("out", "", "cache `dir` to replace, relative to the repo (default paths.cache from promptgate.yaml)")
	verbose := fl.Bool("v", false, "show the recording run's table and logs")
	if err := fl.Parse(args); err != nil {
		return err
	}

	proj, err := project.Load(os.DirFS(*root), "")
	if err != nil {
		return fmt.Errorf("load project: %w", err)
	}
	answers, err := readAnswers(filepath.Join(*root, *answersPath))
	if err != nil {
		return err
	}
	tbl, err := buildTable(proj, answers, proj.Config.Defaults.JudgeModel)
	if err != nil {
		return fmt.Errorf("answers and suites disagree:\n%w", err)
	}
	outDir := filepath.Join(*root, cmp.Or(*out, proj.Config.Paths.Cache))

	fake, srv := newRecorder(tbl)
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "record-fixture-*")
	if err != nil {
		return fmt.Errorf("make scratch cache: %w", err)
	}
	defer os.RemoveAll(tmp)

	// Record into a scratch cache so stale entries never survive a re-record.
	env := map[string]string{"OPENAI_BASE_URL": srv.URL + "/v1", "OPENAI_API_KEY": dummyKey}
	getenv := func(k string) string { return env[k] }
	var log strings.Builder
	runOut, runErr := io.Writer(&log), io.Writer(&log)
	if *verbose {
		runOut, runErr = stderr, stderr
	}
	code := cli.Main(ctx, []string{"eval", "-C", *root, "--cache-dir", tmp, "--quiet"}, getenv, runOut, runErr)
	if p := fake.problems(); len(p) > 0 {
		return fmt.Errorf("the fake server and the suites disagree:\n%s\n%s", strings.Join(p, "\n"), log.String())
	}
	if code == cli.ExitBadInput {
		return fmt.Errorf("recording run failed (exit %d):\n%s", code, log.String())
	}

	n, err := publish(tmp, outDir, fake.latencies, replayEndpoints(proj.Config))
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "record-fixture: %d model requests answered, %d entries written to %s (recording run exit %d)\n",
		fake.requests(), n, outDir, code)

	// Replay: what a fresh clone's `promptgate eval --offline` will see.
	fmt.Fprintf(stderr, "record-fixture: replaying with promptgate eval --offline\n")
	code = cli.Main(ctx, []string{"eval", "-C", *root, "--cache-dir", outDir, "--offline", "--quiet"}, func(string) string { return "" }, stdout, stderr)
	if code != cli.ExitOK {
		return fmt.Errorf("offline replay exited %d, want 0", code)
	}
	return nil
}

var shardRe = regexp.MustCompile(`^[0-9a-f]{2}$`)

// replayEndpoints maps each provider to the endpoint a fresh clone's
// `promptgate eval --offline` resolves it to (no $OPENAI_BASE_URL), which the
// cache key includes. The recording run talks to the fake server instead, so
// its entries are filed under that endpoint.
func replayEndpoints(cfg *config.Config) map[string]string {
	out := map[string]string{}
	for _, p := range cfg.Providers {
		out[p.Name] = config.Provider{BaseURL: p.ResolveBaseURL(func(string) string { return "" })}.Endpoint()
	}
	return out
}

// publish replaces the entries in outDir with those recorded in scratch,
// labelled with Note, pinned to recordedAt and the latency each request was
// served with, and filed under the endpoint they are replayed for. Files other
// than entries (README.md) are kept.
func publish(scratch, outDir string, latencies map[string]int64, endpoints map[string]string) (int, error) {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return 0, fmt.Errorf("create cache dir: %w", err)
	}
	kept, err := readEntries(outDir)
	if err != nil {
		return 0, err
	}
	old, err := os.ReadDir(outDir)
	if err != nil {
		return 0, fmt.Errorf("read cache dir: %w", err)
	}
	for _, e := range old {
		if e.IsDir() && shardRe.MatchString(e.Name()) {
			if err := os.RemoveAll(filepath.Join(outDir, e.Name())); err != nil {
				return 0, fmt.Errorf("clear old entries: %w", err)
			}
		}
	}
	store, err := cache.Open(outDir)
	if err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(scratch, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		e, err := cache.DecodeEntry(b, strings.TrimSuffix(d.Name(), ".json"))
		if err != nil {
			return fmt.Errorf("recorded entry %s: %w", d.Name(), err)
		}
		ms, ok := latencies[requestKey(e.Model, e.Request.Messages)]
		if !ok {
			return fmt.Errorf("recorded entry %s: the fake server never served this request", d.Name())
		}
		e.Response.LatencyMS = ms
		e.Created = recordedAt
		e.Note = Note
		if ep, ok := endpoints[e.Provider]; ok {
			e.Endpoint, e.Key = ep, "" // Put re-keys the entry
		}
		if err := store.Put(e); err != nil {
			return err
		}
		if err := keepUnchanged(outDir, e, kept); err != nil {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("publish entries: %w", err)
	}
	if n == 0 {
		return 0, errors.New("publish entries: the recording run wrote no cache entries")
	}
	return n, nil
}
