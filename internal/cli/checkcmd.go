package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/gitsha"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/projection"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/shard"
)

const checkHelp = `Usage: promptgate check [flags]

Compares base and head of a change the way the GitHub Action does:
  1. finds what changed between base and head (prompts, partials, suites, promptgate.yaml
     sections, the flags file) and works out the affected prompts;
  2. evaluates each affected prompt at base and at head (the response cache makes an
     unchanged side free; pricing or traffic changes only re-project cost);
  3. compares pass rates, newly failing and passing cases, errors, tokens, latency, cost
     per request and projected monthly cost against the budget;
  4. applies the gates and prints the diff as GitHub markdown.

Base and head are read from git without touching the working tree; a base commit missing
from a shallow clone (actions/checkout fetch-depth 1) is fetched.

Inside GitHub Actions (GITHUB_ACTIONS=true) it reads the event (pull_request, push,
workflow_dispatch), publishes a check run named "promptgate" on the head commit with
annotations, writes the job summary and the step outputs, and optionally a sticky PR comment.
It refuses pull_request_target, which would run PR content with write access and secrets.

The change never decides how it is judged: providers (endpoints and key variables),
pricing, traffic, budget, gates and existing suites' thresholds are read at base. Head's
edits to them are listed under "Config changes" and take effect after merge. Recorded
responses are trusted only from the base commit's tree and the cache directory; entries
the change adds or edits are ignored.

Without an API key (or on a fork PR, which never makes a model call) it still validates
everything and projects cost from recorded usage; cases with no recorded response are
skipped and the report says so. --fail-on-skip turns skipped cases into a failure.

Examples:
  promptgate check --base main
  promptgate check --base origin/main --head HEAD --fail-on regression,threshold
  OPENAI_API_KEY=sk-... promptgate check --base v1.4.0 --report-json report.json

A large check can be spread over several jobs: --shard K/N evaluates one of N disjoint
parts of every suite (by case identity, the same part on every run) and writes it to
--report-json without judging it; promptgate merge then combines the N reports into the
one check an unsharded run makes. See docs/scale.md.

Exit status: 0 success or nothing to evaluate, 1 a gate failed, 2 bad input or configuration.
A shard exits 0 unless its input is bad: the verdict comes from merge.
`

type checkOptions struct {
	dir, configPath, base, head, failOn, reportJSON, cacheDir, shard string
	concurrency                                                      int
	offline, comment, verbose, failOnSkip, recordAll, noCandidates   bool
	// forkPR is set in Action mode for a pull request from a fork (named in
	// forkRepo): no model is called for it, whatever the provider.
	forkPR   bool
	forkRepo string
	// given holds merged shard reports (promptgate merge): the comparison
	// uses them instead of evaluating.
	given   *check.Evals
	tracing tracingFlags
	// outputs are the --output files, each written in its extension's format.
	outputs listFlag
}

func runCheck(ctx context.Context, args []string, env Env) error {
	var o checkOptions
	fs := newFlagSet("check", checkHelp, env)
	checkFlags(fs, &o)
	fs.StringVar(&o.shard, "shard", "", "evaluate only part `K/N` of the case runs, for promptgate merge")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	sh, err := shard.Parse(o.shard)
	if err != nil {
		return usageError{msg: "check: --shard: " + err.Error()}
	}
	if err := checkOutputs("check", o.outputs, "html", "json", "markdown"); err != nil {
		return err
	}
	if env.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, o, env)
	}
	if o.base == "" {
		return usageError{msg: "check: --base is required outside GitHub Actions (for example --base main)"}
	}
	if sh.Enabled() && o.reportJSON == "" {
		return usageError{msg: "check: --shard needs --report-json FILE, the report promptgate merge reads"}
	}
	warnUncommitted(ctx, o, env)
	res, err := compare(ctx, o, env, o.base, o.head)
	if err != nil {
		return err
	}
	if sh.Enabled() {
		return writeShard(env, res, o.reportJSON)
	}
	if err := writeCheckOutputs(env, res, o.outputs); err != nil {
		return err
	}
	return printOutcome(env, res, o.reportJSON)
}

// printOutcome prints a local check's markdown report, writes the JSON
// report when asked, and turns the verdict into the exit status.
func printOutcome(env Env, res *check.Outcome, reportJSON string) error {
	var md bytes.Buffer
	hint := report.DiffOptions{}
	if reportJSON != "" {
		hint.FullReportHint = "full report: " + reportJSON
	}
	if err := renderOutcome(&md, res, reportJSON, hint); err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, md.String())
	return conclusionErr(res)
}

// writeShard writes a check shard's report for promptgate merge and says so;
// a shard is not judged on its own.
func writeShard(env Env, res *check.Outcome, reportJSON string) error {
	if err := renderOutcome(&bytes.Buffer{}, res, reportJSON, report.DiffOptions{}); err != nil {
		return err
	}
	if len(res.Problems) > 0 {
		return res.Problems
	}
	runs := 0
	if res.Evals != nil {
		for _, r := range []*eval.Report{res.Evals.Base, res.Evals.Head} {
			for _, s := range reportSuites(r) {
				runs += len(s.Cases)
			}
		}
	}
	fmt.Fprintf(env.Stdout, "promptgate: shard %s evaluated %d case runs (base and head); report: %s\n"+
		"Combine the shards' reports with: promptgate merge REPORT.json…\n", res.Shard, runs, reportJSON)
	return nil
}

func reportSuites(r *eval.Report) []*eval.SuiteResult {
	if r == nil {
		return nil
	}
	return r.Suites
}

// checkFlags defines the flags check and merge share.
func checkFlags(fs *flag.FlagSet, o *checkOptions) {
	fs.StringVar(&o.dir, "C", ".", "run as if started in `dir` (a git work tree)")
	fs.StringVar(&o.configPath, "config", config.FileName, "config `file`, relative to the repo root")
	fs.StringVar(&o.base, "base", "", "base git `revision` to compare against (required outside GitHub Actions)")
	fs.StringVar(&o.head, "head", "HEAD", "head git `revision`")
	fs.StringVar(&o.failOn, "fail-on", "", "comma-separated `gates` that fail the check: "+strings.Join(verdict.GateNames, ",")+" (default: the config's gate section)")
	fs.StringVar(&o.reportJSON, "report-json", "", "write the full comparison as JSON to `file`")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "response cache `dir` that records new answers (default paths.cache of the base commit's config); entries the change adds or edits there are ignored")
	fs.IntVar(&o.concurrency, "concurrency", 0, "cases in flight at once (default: the provider's concurrency)")
	fs.BoolVar(&o.offline, "offline", false, "make no model calls: answer from the cache, skip the rest")
	fs.BoolVar(&o.comment, "comment", false, "in GitHub Actions, also keep one sticky PR comment with the diff")
	fs.BoolVar(&o.recordAll, "record-all", false, "also evaluate the prompts the change does not affect (cache first) and record every prompt's pass rate and cost in the hidden line, for the default branch's history that pull requests chart; the Action sets it on pushes to the default branch")
	fs.BoolVar(&o.noCandidates, "no-candidates", false, "do not run the cheaper-model what-if, whatever candidates promptgate.yaml lists")
	fs.BoolVar(&o.failOnSkip, "fail-on-skip", false, "fail (exit 1) when case runs the change needed were skipped (no key, a fork, no recorded response), instead of a neutral result")
	fs.BoolVar(&o.verbose, "v", false, "verbose logs on stderr")
	fs.Var(&o.outputs, "o", "also write the report to `file`: .html (one self-contained page with every case, base beside head), .json or .md (repeatable)")
	fs.Var(&o.outputs, "output", "same as -o")
	o.tracing.register(fs)
}

// compare runs the comparison between two revisions with the options' client setup.
func compare(ctx context.Context, o checkOptions, env Env, base, head string) (*check.Outcome, error) {
	root := o.dir
	if env.Dir != "" && !filepath.IsAbs(root) {
		root = filepath.Join(env.Dir, root)
	}
	logger := newLogger(env.Stderr, o.verbose)
	ctx, observer, endTrace := o.tracing.start(ctx, "check", traceConfig(root, o.configPath), env, logger)
	defer endTrace()
	live, why := liveCalls(o)
	sh, err := shard.Parse(o.shard)
	if err != nil {
		return nil, usageError{msg: "check: shard: " + err.Error()}
	}
	cacheDir := o.cacheDir
	if cacheDir != "" && !filepath.IsAbs(cacheDir) {
		cacheDir = filepath.Join(root, cacheDir)
	}
	var built clientLog
	opts := check.Options{Dir: root, ConfigPath: o.configPath, Base: base, Head: head, Live: live, LiveReason: why,
		MissingKey: func(rules *config.Config) string { return missingKey(rules, env.Getenv) },
		CacheDir:   cacheDir, Concurrency: o.concurrency, FailOnSkip: o.failOnSkip, NoCandidates: o.noCandidates, RecordAll: o.recordAll, Logger: logger, Progress: env.Stderr,
		Shard: sh, Given: o.given, Observer: observer,
		NewClient: func(cfg *config.Config, mode llm.CacheMode, rc llm.ResponseCache, budget *llm.Budget) (llm.Completer, error) {
			c, err := newModelClient(cfg, env.Getenv, rc, mode, o.concurrency, budget, logger)
			if err == nil {
				built.add(cfg, c)
			}
			return c, err
		}}
	if o.failOn != "" {
		gates, err := verdict.ParseFailOn(o.failOn)
		if err != nil {
			return nil, usageError{msg: "check: --fail-on: " + err.Error()}
		}
		opts.FailOn = gates
	}
	res, err := check.Run(ctx, opts)
	if down := built.err(); down != nil && err == nil {
		return nil, down
	}
	if res != nil {
		// What head's promptfoo configs hold that promptgate does not run, as
		// eval prints it.
		for _, w := range res.Warnings {
			fmt.Fprintf(env.Stderr, "warning: %s\n", w)
		}
	}
	return res, err
}

// traceConfig is the work tree's config, for naming the providers in spans;
// an unreadable config names none (the check itself reports the problem).
func traceConfig(root, path string) *config.Config {
	cfg, err := config.Load(os.DirFS(root), path)
	if err != nil {
		return &config.Config{}
	}
	return cfg
}

// liveCalls decides whether model calls may be made at all: not with
// --offline, and never for a pull request from a fork, whatever its provider:
// its config cannot choose where calls go, and it gets no secrets anyway.
func liveCalls(o checkOptions) (bool, string) {
	switch {
	case o.offline:
		return false, "--offline"
	case o.forkPR:
		from := "a fork"
		if o.forkRepo != "" {
			from = "the fork " + o.forkRepo
		}
		return false, "this pull request comes from " + from + ": promptgate makes no model calls for fork pull requests, " +
			"whatever the provider, and answers only from the response cache trusted at base"
	}
	return true, ""
}

// missingKey says why the rules' default provider cannot be called: it is
// OpenAI's public API and its key variable is unset. Other endpoints (local
// servers) may need no key.
func missingKey(rules *config.Config, getenv func(string) string) string {
	p, _ := rules.Provider(rules.DefaultProvider)
	if getenv(p.APIKeyEnv) == "" && strings.Contains(p.ResolveBaseURL(getenv), "api.openai.com") {
		return "no API key: $" + p.APIKeyEnv + " is not set"
	}
	return ""
}

// warnUncommitted says on stderr when the work tree holds edits that check,
// which compares commits, leaves out: `check --base main` right after editing
// a prompt would otherwise report on the last commit without a word.
func warnUncommitted(ctx context.Context, o checkOptions, env Env) {
	if o.head != "HEAD" {
		return
	}
	root := o.dir
	if env.Dir != "" && !filepath.IsAbs(root) {
		root = filepath.Join(env.Dir, root)
	}
	cfg, err := config.Load(os.DirFS(root), o.configPath)
	if err != nil {
		cfg = config.Default()
	}
	files, err := gitrepo.Repo{Dir: root}.Uncommitted(ctx, o.configPath, cfg.Paths.Prompts, cfg.Paths.Evals, cfg.Rollout.FlagsFile)
	if err != nil || len(files) == 0 {
		return
	}
	shown := files
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(files)-5))
	}
	fmt.Fprintf(env.Stderr, "promptgate: note: check compares commits, so %d uncommitted change(s) are not part of HEAD and not checked: %s\n"+
		"  commit them to include them, or run `promptgate eval` to evaluate the work tree as it is\n",
		len(files), strings.Join(shown, ", "))
}

// renderOutcome writes the markdown report and, when asked, the JSON report;
// hint, when set, closes the report and says where the full report is.
func renderOutcome(md *bytes.Buffer, res *check.Outcome, reportJSON string, hint report.DiffOptions) error {
	if len(res.Problems) > 0 {
		fmt.Fprintf(md, "## promptgate: configuration errors\n\nThe head commit's promptgate files do not load, so nothing was evaluated:\n\n")
		for _, p := range res.Problems {
			fmt.Fprintf(md, "- `%s`\n", strings.ReplaceAll(p.Error(), "`", "'"))
		}
	} else if res.Affected.Empty() {
		if cc := report.ConfigChanges(res.Result); cc != "" {
			fmt.Fprintf(md, "## promptgate: no LLM changes\n\nNo prompt is affected between %s and %s.\n\n%s", gitsha.Short(res.BaseSHA), gitsha.Short(res.HeadSHA), cc)
		} else {
			fmt.Fprintf(md, "## promptgate: no LLM changes\n\nNothing between %s and %s touches prompts, suites, promptgate.yaml or the flags file.\n", gitsha.Short(res.BaseSHA), gitsha.Short(res.HeadSHA))
		}
		if len(res.Result.Projection.Prompts) > 0 {
			// --record-all: the prompts' figures for the default branch's
			// history, on the last line as always.
			fmt.Fprintf(md, "\n%s\n", projection.Encode(res.Result.Projection))
		}
	} else {
		if err := report.WriteDiffMarkdown(md, res.Result, hint); err != nil {
			return fmt.Errorf("render diff: %w", err)
		}
	}
	if reportJSON != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err != nil {
			return fmt.Errorf("encode report: %w", err)
		}
		if err := os.WriteFile(reportJSON, b, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

func conclusionErr(res *check.Outcome) error {
	if len(res.Problems) > 0 {
		return res.Problems
	}
	if res.Result.Conclusion == verdict.ConclusionFailure {
		return errGate
	}
	return nil
}
