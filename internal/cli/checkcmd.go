package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/promptgate/promptgate/internal/check"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/diff"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/report"
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

Without an API key (or on a fork PR) it still validates everything and projects cost from
recorded usage; cases with no recorded response are skipped and the report says so.

Examples:
  promptgate check --base main
  promptgate check --base origin/main --head HEAD --fail-on regression,threshold
  OPENAI_API_KEY=sk-... promptgate check --base v1.4.0 --report-json report.json

Exit status: 0 success or nothing to evaluate, 1 a gate failed, 2 bad input or configuration.
`

type checkOptions struct {
	dir, configPath, base, head, failOn, reportJSON, cacheDir string
	concurrency                                               int
	offline, comment, verbose                                 bool
	// forkPR is set in Action mode for a pull request from a fork, which gets
	// no secrets: the report then says why the key is missing.
	forkPR  bool
	tracing tracingFlags
}

func runCheck(ctx context.Context, args []string, env Env) error {
	var o checkOptions
	fs := newFlagSet("check", checkHelp, env)
	fs.StringVar(&o.dir, "C", ".", "run as if started in `dir` (a git work tree)")
	fs.StringVar(&o.configPath, "config", config.FileName, "config `file`, relative to the repo root")
	fs.StringVar(&o.base, "base", "", "base git `revision` to compare against (required outside GitHub Actions)")
	fs.StringVar(&o.head, "head", "HEAD", "head git `revision`")
	fs.StringVar(&o.failOn, "fail-on", "", "comma-separated `gates` that fail the check: "+strings.Join(diff.GateNames, ",")+" (default: the config's gate section)")
	fs.StringVar(&o.reportJSON, "report-json", "", "write the full comparison as JSON to `file`")
	fs.StringVar(&o.cacheDir, "cache-dir", "", "response cache `dir` (default paths.cache from config)")
	fs.IntVar(&o.concurrency, "concurrency", 0, "cases in flight at once (default: the provider's concurrency)")
	fs.BoolVar(&o.offline, "offline", false, "make no model calls: answer from the cache, skip the rest")
	fs.BoolVar(&o.comment, "comment", false, "in GitHub Actions, also keep one sticky PR comment with the diff")
	fs.BoolVar(&o.verbose, "v", false, "verbose logs on stderr")
	o.tracing.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if env.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, o, env)
	}
	if o.base == "" {
		return usageError{msg: "check: --base is required outside GitHub Actions (for example --base main)"}
	}
	res, err := compare(ctx, o, env, o.base, o.head)
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := renderOutcome(&md, res, o.reportJSON); err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, md.String())
	return conclusionErr(res)
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
	live, why := liveCalls(ctx, o, env, root)
	opts := check.Options{Dir: root, ConfigPath: o.configPath, Base: base, Head: head, Live: live, LiveReason: why,
		Concurrency: o.concurrency, Logger: logger, Progress: env.Stderr, Observer: observer,
		NewClient: func(cfg *config.Config, mode llm.CacheMode) (llm.Completer, error) {
			dir := firstNonEmpty(o.cacheDir, cfg.Paths.Cache)
			if !filepath.IsAbs(dir) {
				dir = filepath.Join(root, dir)
			}
			return NewClient(cfg, env.Getenv, dir, mode, o.concurrency, logger)
		}}
	if o.failOn != "" {
		gates, err := diff.ParseFailOn(o.failOn)
		if err != nil {
			return nil, usageError{msg: "check: --fail-on: " + err.Error()}
		}
		opts.FailOn = gates
	}
	return check.Run(ctx, opts)
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

// liveCalls decides whether model calls may be made: not with --offline, and not
// when the default provider is OpenAI's public API and no key is set.
func liveCalls(_ context.Context, o checkOptions, env Env, root string) (bool, string) {
	if o.offline {
		return false, "--offline"
	}
	cfg, err := config.Load(os.DirFS(root), o.configPath)
	if err != nil {
		return true, ""
	}
	p, _ := cfg.Provider(cfg.DefaultProvider)
	if env.Getenv(p.APIKeyEnv) == "" && strings.Contains(p.ResolveBaseURL(env.Getenv), "api.openai.com") {
		if o.forkPR {
			return false, "no API key: $" + p.APIKeyEnv + " is not set, because pull requests from forks get no secrets"
		}
		return false, "no API key: $" + p.APIKeyEnv + " is not set"
	}
	return true, ""
}

// renderOutcome writes the markdown report and, when asked, the JSON report.
func renderOutcome(md *bytes.Buffer, res *check.Outcome, reportJSON string) error {
	if len(res.Problems) > 0 {
		fmt.Fprintf(md, "## promptgate: configuration errors\n\nThe head commit's promptgate files do not load, so nothing was evaluated:\n\n")
		for _, p := range res.Problems {
			fmt.Fprintf(md, "- `%s`\n", strings.ReplaceAll(p.Error(), "`", "'"))
		}
	} else if res.Affected.Empty() {
		fmt.Fprintf(md, "## promptgate: no LLM changes\n\nNothing between %s and %s touches prompts, suites, promptgate.yaml or the flags file.\n", short(res.BaseSHA), short(res.HeadSHA))
	} else {
		hint := ""
		if reportJSON != "" {
			hint = "full report: " + reportJSON
		}
		if err := report.WriteDiffMarkdown(md, res.Result, report.DiffOptions{FullReportHint: hint}); err != nil {
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
	if res.Result.Conclusion == diff.ConclusionFailure {
		return errGate
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
