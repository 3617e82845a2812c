package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	iofs "io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/promptgate/promptgate/internal/cache"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/shard"
	"github.com/promptgate/promptgate/internal/suite"
)

const evalHelp = `Usage: promptgate eval [flags]

Runs every eval suite under evals/ (or those chosen with --prompt / --suite) against the
OpenAI-compatible endpoint configured in promptgate.yaml, grades each case with its
assertions, and prints per-suite pass/fail/error, pass rate vs threshold, mean tokens,
p50/p95 latency and cost.

Every response is stored in a content-addressed cache (.promptgate/cache by default), so a
second run with nothing changed makes no model calls. --offline answers only from that cache,
which is how this repo's demo runs without an API key.

Examples:
  promptgate eval --offline                    # the committed recorded cache, no key needed
  OPENAI_API_KEY=sk-... promptgate eval        # real calls, cached for next time
  promptgate eval --prompt support/summarize --format markdown
  promptgate eval --suite evals/sentiment/classify.yaml --trace calls.jsonl --no-cache
  OPENAI_BASE_URL=http://127.0.0.1:11434/v1 promptgate eval   # Ollama, vLLM, LiteLLM…
  promptgate eval --promptfoo promptfooconfig.yaml   # run a promptfoo config as is

promptfoo configs listed under promptfoo: in promptgate.yaml (or a root promptfooconfig.yaml
when there is no promptgate.yaml) run with the other suites; see docs/promptfoo.md.
  promptgate eval --offline --otlp http://127.0.0.1:4318        # a span per call to Jaeger or any OTLP collector

A case whose model call still fails after retries counts as an error, not a failure; errors
are shown apart. A case that cannot be called here at all (--offline with no recorded
response, or no API key) is skipped and still gets an input-token estimate.

A large run can be spread over several machines: --shard K/N runs one of N disjoint parts
of every suite (by suite file, case description or index, and repeat, so the same cases land
in the same part on every run and its cache stays warm). Write each part with --format json
and combine them with promptgate merge, which prints exactly what one run prints.

Exit status: 0 all suites met their thresholds with no errors; 1 a suite missed its
threshold or a case errored; 2 bad input or configuration (each message names the file and
line), or case runs that could not be made. A shard is not judged on its own: it exits 0
(or 2), and promptgate merge gives the verdict.
`

type evalOptions struct {
	dir, configPath, format, trace, cacheDir, judge, shard string
	promptfoo                                              string
	prompts, suites, candidates, outputs                   listFlag
	concurrency                                            int
	noCache, offline, verbose, quiet, noCandidates         bool
	tracing                                                tracingFlags
	habits                                                 habitFlags
}

func runEval(ctx context.Context, args []string, env Env) error {
	var o evalOptions
	fs := newFlagSet("eval", evalHelp, env)
	fs.StringVar(&o.dir, "C", ".", "run as if started in `dir` (the repo root)")
	fs.StringVar(&o.configPath, "config", config.FileName, "config `file`, relative to the repo root")
	fs.Var(&o.prompts, "prompt", "only suites for this prompt `name` (repeatable, comma-separated)")
	fs.Var(&o.suites, "suite", "only this suite `file` (repeatable, comma-separated)")
	fs.StringVar(&o.promptfoo, "promptfoo", "", "run only this promptfoo config `file` (relative to -C dir; its git work tree is the repository)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "cases in flight at once (default: the provider's concurrency)")
	fs.StringVar(&o.format, "format", "table", "output `format`: table, json, markdown or junit")
	fs.Var(&o.outputs, "o", "also write the report to `file`, in the format its extension names: .html (one self-contained page), .json, .csv, .xml (JUnit), .md, .txt (repeatable)")
	fs.Var(&o.outputs, "output", "same as -o")
	fs.StringVar(&o.trace, "trace", "", "write one JSON line per model call to `file`")
	fs.BoolVar(&o.noCache, "no-cache", false, "bypass the response cache (neither read nor write)")
	fs.BoolVar(&o.offline, "offline", false, "answer only from the response cache; a miss is an error and no model is called")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "response cache `dir` (default paths.cache from config, .promptgate/cache)")
	fs.StringVar(&o.judge, "judge-model", "", "`model` that grades llm-rubric assertions (default defaults.judge_model)")
	fs.StringVar(&o.shard, "shard", "", "run only part `K/N` of the case runs (for promptgate merge)")
	fs.Var(&o.candidates, "candidates", "also run every chosen suite on each candidate `model` and compare (repeatable, comma-separated; default: candidates in promptgate.yaml)")
	fs.BoolVar(&o.noCandidates, "no-candidates", false, "do not run the cheaper-model what-if, whatever candidates promptgate.yaml lists")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	fs.BoolVar(&o.verbose, "v", false, "verbose logs (retries, cache) on stderr")
	o.tracing.register(fs)
	o.habits.register(fs, &o.concurrency)
	var cacheOn bool
	fs.BoolVar(&cacheOn, "cache", true, "use the response cache (default on; --no-cache turns it off)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !cacheOn {
		o.noCache = true
	}
	o.habits.configFlag(&o.configPath, &o.promptfoo)
	getenv, err := withEnvFile(env.Getenv, o.habits.envFile)
	if err != nil {
		return err
	}
	env.Getenv = getenv
	if o.noCache && o.offline {
		return usageError{msg: "eval: --offline answers from the cache, so it cannot be combined with --no-cache"}
	}
	if _, err := report.FormatOK(o.format); err != nil {
		return usageError{msg: "eval: " + err.Error()}
	}
	sh, err := shard.Parse(o.shard)
	if err != nil {
		return usageError{msg: "eval: --shard: " + err.Error()}
	}
	if err := checkOutputs("eval", o.outputs); err != nil {
		return err
	}
	root := o.dir
	if env.Dir != "" && !filepath.IsAbs(root) {
		root = filepath.Join(env.Dir, root)
	}
	var pfFiles []string
	if o.promptfoo != "" {
		// The config's file:// paths may reach anywhere in its git work
		// tree (a config under config/promptfoo/ names ../../../prompts/),
		// so the repository is the work tree, not the folder run from.
		file, err := filepath.Abs(filepath.Join(root, o.promptfoo))
		if err != nil {
			return fmt.Errorf("eval: --promptfoo: %w", err)
		}
		root = project.WorkTree(root)
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return fmt.Errorf("eval: --promptfoo: %w", err)
		}
		pfFiles = []string{filepath.ToSlash(rel)}
	}
	fsys, closeFS, err := project.OpenDir(root)
	if err != nil {
		return err
	}
	defer closeFS()
	proj, err := project.LoadWith(fsys, o.configPath, pfFiles)
	if err != nil {
		return err
	}
	for _, w := range proj.Warnings {
		fmt.Fprintf(env.Stderr, "warning: %v\n", w)
	}
	flags, _ := iofs.ReadFile(os.DirFS(root), proj.Config.Rollout.FlagsFile)
	dangling, refWarns := project.CrossRefs(proj, flags, cost.ForConfig(proj.Config))
	for _, w := range refWarns {
		fmt.Fprintf(env.Stderr, "warning: %s\n", w)
	}
	if len(dangling) > 0 {
		var refErrs diag.List
		for _, d := range dangling {
			refErrs = append(refErrs, d.Err())
		}
		return refErrs
	}
	suites, err := proj.Select(o.prompts, o.suites)
	if err != nil {
		return usageError{msg: "eval: " + err.Error()}
	}
	if o.promptfoo != "" {
		suites = proj.Promptfoo
	}
	if len(suites) > 0 {
		if suites, err = o.habits.apply(suites); err != nil {
			return err
		}
		if len(suites) == 0 {
			return usageError{msg: "eval: the filters (--filter-pattern, --filter-first-n, --filter-failing) leave no case to run"}
		}
	}
	if len(suites) == 0 {
		return usageError{msg: fmt.Sprintf("eval: no suites found under %s/ (see promptgate eval --help)", proj.Config.Paths.Evals)}
	}
	if err := eval.Check(suites, proj.Prompts, proj.Config.Defaults.Model); err != nil {
		return err
	}
	mode := llm.CacheReadWrite
	switch {
	case o.offline:
		mode = llm.CacheOffline
	case o.noCache:
		mode = llm.CacheOff
	}
	cacheDir := o.cacheDir
	if cacheDir == "" {
		cacheDir = filepath.Join(root, proj.Config.Paths.Cache)
	}
	logger := newLogger(env.Stderr, o.verbose)
	client, err := NewClient(proj.Config, env.Getenv, cacheDir, mode, o.concurrency, logger)
	if err != nil {
		return err
	}
	runner := &eval.Runner{Prompts: proj.Prompts, Client: client, Prices: cost.ForConfig(proj.Config),
		Concurrency: o.concurrency, DefaultModel: proj.Config.Defaults.Model,
		JudgeModel: cmp.Or(o.judge, proj.Config.Defaults.JudgeModel), Logger: logger, Shard: sh}
	if runner.Concurrency <= 0 {
		runner.Concurrency = proj.Config.RunConcurrency()
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
		if err != nil {
			return fmt.Errorf("open trace file: %w", err)
		}
		defer f.Close()
		runner.Trace = eval.NewTraceWriter(f)
	}
	ctx, observer, endTrace := o.tracing.start(ctx, "eval", proj.Config, env, logger)
	runner.Observer = observer
	candidates := o.candidates
	if len(candidates) == 0 && !o.noCandidates {
		candidates = proj.Config.Candidates
	}
	if o.noCandidates {
		candidates = nil
	}
	total := eval.TotalIn(suites, sh) * (1 + len(candidates))
	bar := progressBar(env.Stderr, total, o.quiet)
	offset := 0
	if bar != nil {
		runner.Progress = func(done, _ int) {
			if note := pacingNote(client.Pacing()); note != "" {
				bar.Describe("evaluating (" + note + ")")
			}
			_ = bar.Set(offset + done)
		}
	}
	rep, runErr := runner.Run(ctx, suites)
	down := unreachableErr(proj.Config, client)
	if down != nil {
		runErr = down // one message, exit 2, and no what-if against a dead endpoint
	}
	if rep != nil {
		rep.Owners = ownerCosts(rep, proj, logger)
	}
	if runErr == nil && len(candidates) > 0 {
		rep.Candidates, runErr = runCandidates(ctx, runner, suites, rep, candidates, proj.Config, &offset)
	}
	endTrace()
	if note := pacingNote(client.Pacing()); note != "" {
		logger.Info("rate limits", "pacing", note)
	}
	if bar != nil {
		_ = bar.Finish()
		fmt.Fprintln(env.Stderr)
	}
	if runner.Trace != nil {
		if err := runner.Trace.Flush(); err != nil {
			return fmt.Errorf("write trace: %w", err)
		}
	}
	if rep != nil && down == nil {
		if err := report.WriteEval(env.Stdout, rep, o.format); err != nil {
			return err
		}
		if err := writeEvalOutputs(env, rep, o.outputs); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if sh.Enabled() {
		return nil
	}
	return evalVerdict(rep, eval.Total(suites))
}

// evalVerdict is the exit status of a whole run, sharded and merged or not:
// runs that could not be made (exit 2) first, then the gates (exit 1).
func evalVerdict(rep *eval.Report, total int) error {
	if n := rep.Skipped(); n > 0 {
		// The first reason says what to do: record the calls, or set the key.
		return fmt.Errorf("eval: %d of %d case runs could not be made (%s)", n, total, firstSkipReason(rep))
	}
	if !rep.OK() {
		return errGate
	}
	return nil
}

// runCandidates runs the suites again on each candidate model and compares
// them with head, the run on the prompts' own models. offset advances the
// progress bar past the runs already made.
func runCandidates(ctx context.Context, runner *eval.Runner, suites []*suite.Suite, head *eval.Report, models []string, cfg *config.Config, offset *int) ([]eval.Candidate, error) {
	defer func() { runner.Model = "" }()
	reports := map[string]*eval.Report{}
	for i, m := range models {
		runner.Model = m
		*offset = (i + 1) * eval.TotalIn(suites, runner.Shard)
		rep, err := runner.Run(eval.WithSide(ctx, "candidate "+m), suites)
		if err != nil {
			return nil, fmt.Errorf("candidate %s: %w", m, err)
		}
		reports[m] = rep
		head.Calls += rep.Calls
		head.CacheHits += rep.CacheHits
		head.Duration += rep.Duration
		for _, w := range rep.Warnings {
			if !slices.Contains(head.Warnings, w) {
				head.Warnings = append(head.Warnings, w)
			}
		}
	}
	return eval.CompareCandidates(head, reports, func(prompt string) float64 { return cfg.Traffic[prompt].RequestsPerDay }, cfg.CandidatesMargin), nil
}

// ownerCosts rolls the run's projected cost up per prompt owner, or returns
// nil when no prompt has an owner and no owner has a budget.
func ownerCosts(rep *eval.Report, proj *project.Project, logger *slog.Logger) []eval.OwnerCost {
	for _, w := range proj.Owners.Warnings {
		logger.Warn("CODEOWNERS: " + w)
	}
	owned := len(proj.Config.Budget.Owners) > 0
	ownerOf := func(name, variant string) string {
		p, ok := proj.Prompts.Get(name, variant)
		if !ok {
			return ""
		}
		o, _ := proj.Owners.Of(p.Path, p.Owner)
		owned = owned || o != ""
		return o
	}
	budgets := proj.Config.Budget.Owners
	out := eval.RollUpOwners(rep, ownerOf, func(prompt string) float64 { return proj.Config.Traffic[prompt].RequestsPerDay },
		func(owner string) (eval.OwnerBudget, bool) {
			b, ok := budgets[owner]
			return eval.OwnerBudget{Period: b.Period, PeriodUSD: b.PeriodUSD, MonthlyUSD: b.MonthlyUSD, Alerts: b.Alerts}, ok
		})
	if !owned {
		return nil
	}
	return out
}

func firstSkipReason(rep *eval.Report) string {
	for _, s := range rep.Suites {
		for _, c := range s.Cases {
			if c.Status == eval.StatusSkipped {
				return fmt.Sprintf("first: %s:%d %q: %s", s.Path, c.Line, c.Description, c.Error)
			}
		}
	}
	return ""
}

// NewClient builds the model client for a config: providers with their keys read
// from the environment, and the response cache in cacheDir in the given mode.
func NewClient(cfg *config.Config, getenv func(string) string, cacheDir string, mode llm.CacheMode, concurrency int, logger *slog.Logger) (*llm.Client, error) {
	var rc llm.ResponseCache
	if mode != llm.CacheOff {
		store, err := cache.Open(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("open response cache: %w", err)
		}
		rc = store
	}
	return newModelClient(cfg, getenv, rc, mode, concurrency, nil, logger)
}

// newModelClient is NewClient with the response cache already assembled (the
// check's trusted view). A provider's key is read only from the variable its
// api_key_env names, and never from a variable config refuses (GITHUB_*,
// ACTIONS_*, INPUT_*, RUNNER_*), whatever built cfg. A non-nil budget bounds
// the client's HTTP attempts (check's gate.max_calls).
func newModelClient(cfg *config.Config, getenv func(string) string, rc llm.ResponseCache, mode llm.CacheMode, concurrency int, budget *llm.Budget, logger *slog.Logger) (*llm.Client, error) {
	var providers []config.Provider
	for _, p := range cfg.Providers {
		key := ""
		if _, reserved := config.ReservedKeyEnv(p.APIKeyEnv); !reserved {
			key = getenv(p.APIKeyEnv)
		}
		lp := p
		lp.BaseURL, lp.APIKey = p.ResolveBaseURL(getenv), key
		if concurrency > 0 {
			lp.Concurrency = concurrency
		}
		providers = append(providers, lp)
	}
	opts := llm.Options{Providers: providers, Default: cfg.DefaultProvider, Mode: mode, Logger: logger, Budget: budget}
	if mode != llm.CacheOff {
		opts.Cache = rc
	}
	client, err := llm.New(opts)
	if err != nil {
		return nil, fmt.Errorf("configure model client: %w", err)
	}
	return client, nil
}

// progressBar returns a bar on stderr when stderr is a terminal, else nil.
func progressBar(w io.Writer, total int, quiet bool) *progressbar.ProgressBar {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(total, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription("evaluating"),
		progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100*1e6))
}
