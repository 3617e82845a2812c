// Package check is `promptgate check`'s comparison: it works out what a change
// touched, evaluates the affected prompts at base and at head with the rules
// and cache trusted at base, and compares them into an Outcome. It renders and
// publishes nothing: the cli renders the Outcome, and publish sends it to the
// check run, job summary, outputs and sticky comment, or it is printed locally.
package check

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/promptgate/promptgate/internal/action/change"
	"github.com/promptgate/promptgate/internal/action/gitrepo"
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/cost"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/gitsha"
	"github.com/promptgate/promptgate/internal/llm"
	"github.com/promptgate/promptgate/internal/owners"
	"github.com/promptgate/promptgate/internal/project"
	"github.com/promptgate/promptgate/internal/shard"
	"github.com/promptgate/promptgate/internal/suite"
)

// ClientFactory builds the model client for one side's config in a cache mode,
// answering from and recording into cache, and drawing every HTTP attempt
// from budget (the check's gate.max_calls, shared by all its clients). The CLI
// supplies it, so check does not know about environment variables or keys.
type ClientFactory func(cfg *config.Config, mode llm.CacheMode, cache llm.ResponseCache, budget *llm.Budget) (llm.Completer, error)

// Options configure one check.
type Options struct {
	// Dir is the repo root (a git work tree).
	Dir        string
	ConfigPath string
	// Base and Head are git revisions; Head defaults to HEAD.
	Base, Head string
	// Live says whether model calls may be made at all: false with --offline
	// and for a pull request from a fork, whatever the provider. When false,
	// everything is answered from the trusted cache or skipped.
	Live bool
	// LiveReason explains why Live is false, for the report.
	LiveReason string
	// MissingKey, when set, says why the rules' default provider cannot be
	// called ("no API key: $OPENAI_API_KEY is not set"), or "" when it can. It
	// is asked about base's providers, the ones the check calls.
	MissingKey func(rules *config.Config) string
	// CacheDir is the response cache that records new answers and is trusted
	// to read: actions/cache's directory, outside the checkout. "" means the
	// base config's paths.cache below Dir. Entries in it that the change adds
	// or edits are ignored when it lies inside the work tree.
	CacheDir    string
	NewClient   ClientFactory
	Concurrency int
	FailOn      []string
	// FailOnSkip fails the check when case runs it needed were skipped.
	FailOnSkip bool
	// NoCandidates switches the cheaper-model what-if off, whatever
	// candidates base's promptgate.yaml lists.
	NoCandidates bool
	Logger       *slog.Logger
	// Progress, when set, receives progress lines (workflow groups in Action mode).
	Progress io.Writer
	// Shard, when enabled, evaluates only this part of each side's case runs
	// and keeps both sides' reports in Outcome.Evals for `promptgate merge`.
	Shard shard.Shard
	// Given, when set, stands in for evaluating: the merged reports of a
	// sharded check. Nothing else changes, so the comparison is the one an
	// unsharded check makes.
	Given *Evals
	// Observer, when set, sees every suite and model call (OpenTelemetry export).
	Observer eval.Observer
	// RecordAll also evaluates every head suite the change does not affect
	// (from the trusted cache where it has the answers), so that the hidden
	// record covers every prompt, not only the affected ones: the Action sets
	// it on pushes to the default branch, whose check runs are the history
	// pull requests chart. It changes nothing else in the result.
	RecordAll bool
}

// Evals are the eval reports of the two sides; a side with nothing to
// evaluate is nil.
type Evals struct {
	Base, Head *eval.Report
}

// Outcome is a finished comparison.
type Outcome struct {
	BaseSHA, HeadSHA string
	Changes          []gitrepo.FileChange
	Affected         change.Affected
	Result           verdict.Result
	// Problems are config or input errors found at head; they fail the check and
	// become annotations.
	Problems diag.List
	// Shard is "K/N" for one part of a sharded check; Evals then holds the
	// part's reports for `promptgate merge`.
	Shard string `json:",omitempty"`
	Evals *Evals `json:",omitempty"`
	// Warnings are what head's promptfoo configs hold that promptgate does
	// not run (file:line and the key), as eval reports them.
	Warnings []string `json:",omitempty"`
	// Calls is what the check spent of its gate.max_calls budget.
	Calls *CallCount `json:",omitempty"`
}

// CallCount is a check's model calls against its budget.
type CallCount struct {
	// Max is gate.max_calls as read at base; Made the HTTP attempts made.
	Max, Made int
	// Refused counts the calls the spent budget turned away; SkippedRuns the
	// case runs skipped for it, at base, head and candidates.
	Refused, SkippedRuns int
}

// Run performs the comparison. It returns an error only when the check itself
// could not run (git failure, unreadable repo); problems in the user's files at
// head are reported in Outcome.Problems and fail the check.
//
// The change under check never decides how it is judged: providers, pricing,
// traffic, budget, gates and existing suites' thresholds are read at base
// (docs/action.md, "Security model"), and recorded responses come only from
// the base commit's tree and the trusted cache directory.
func Run(ctx context.Context, o Options) (*Outcome, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	repo := gitrepo.Repo{Dir: o.Dir}
	head := o.Head
	if head == "" {
		head = "HEAD"
	}
	out := &Outcome{Shard: o.Shard.String()}
	// Snapshots and diffs name files from the top of the work tree; a directory
	// below it would silently read another promptgate.yaml, or none.
	prefix, err := repo.Prefix(ctx)
	if err != nil {
		return nil, err
	}
	if prefix != "" {
		return nil, fmt.Errorf("%s is the subdirectory %s of a git work tree: run promptgate check from the top of the work tree "+
			"(the Action's working-directory is the checkout's root; config and cache-dir are relative to it)", o.Dir, prefix)
	}
	if out.BaseSHA, err = resolveRev(ctx, repo, o.Base); err != nil {
		return nil, fmt.Errorf("base: %w", err)
	}
	if out.HeadSHA, err = resolveRev(ctx, repo, head); err != nil {
		return nil, fmt.Errorf("head: %w", err)
	}
	if out.Changes, err = repo.ChangedFiles(ctx, out.BaseSHA, out.HeadSHA); err != nil {
		return nil, fmt.Errorf("list changed files: %w", err)
	}
	baseSnap, _, err := loadSide(ctx, repo, out.BaseSHA, o.ConfigPath)
	if err != nil {
		// A broken base is not this PR's fault: compare against nothing and say so.
		// Its rules are then promptgate's defaults, never head's.
		log.Warn("base does not load; comparing head against an empty base", "err", err)
		baseSnap = emptySnapshot()
	}
	headSnap, headProj, err := loadSide(ctx, repo, out.HeadSHA, o.ConfigPath)
	if err != nil {
		if !diag.IsInput(err) {
			return nil, err
		}
		out.Problems = diag.Append(nil, err)
		out.Result = verdict.Result{Conclusion: verdict.ConclusionFailure}
		return out, nil
	}
	for _, w := range headProj.Warnings {
		out.Warnings = append(out.Warnings, w.Error())
	}
	rules := headProj.Config.WithRulesFrom(baseSnap.cfg())
	changes := config.RuleChanges(baseSnap.cfg(), headProj.Config)
	changes = append(changes, thresholdsFromBase(baseSnap.proj, headProj, out.Changes)...)
	refChanges, refWarnings := crossRefs(baseSnap, headSnap, headProj)
	changes = append(changes, refChanges...)
	out.Warnings = append(out.Warnings, refWarnings...)
	trusted := &project.Project{Config: rules, Prompts: headProj.Prompts, Suites: headProj.Suites}

	out.Affected = change.Detect(out.Changes, baseSnap.snap, headSnap.snap)
	recordAll := o.RecordAll && o.Given == nil && !o.Shard.Enabled()
	if out.Affected.Empty() && !recordAll {
		out.Result = verdict.Compute(verdict.Input{Base: verdict.Side{Config: baseSnap.cfg(), Prices: cost.ForConfig(baseSnap.cfg())},
			Head: verdict.Side{Config: rules, Prices: cost.ForConfig(rules)}, FailOn: o.FailOn, ConfigChanges: changes})
		return out, nil
	}
	shares, flagNotes := flagShares(headSnap.snap.Flags, headSnap.snap.FlagsFile)
	baseShares, _ := flagShares(baseSnap.snap.Flags, baseSnap.snap.FlagsFile)
	shares, splitChanges := sharesFromBase(shares, baseShares, headSnap.snap.FlagsFile)
	changes = append(changes, splitChanges...)
	for _, n := range flagNotes {
		log.Warn("flag split not read", "note", n)
	}
	reeval, reproject := keysToRun(out.Affected, shares)
	// Validate head suites that will run before any call: bad vars are input errors.
	headSuites := pick(trusted.Suites, reeval, reproject)
	if err := eval.Check(headSuites, trusted.Prompts, trusted.Config.Defaults.Model); err != nil {
		out.Problems = diag.Append(nil, err)
		out.Result = verdict.Result{Conclusion: verdict.ConclusionFailure}
		return out, nil
	}
	live, liveReason := o.Live, o.LiveReason
	if live && o.MissingKey != nil {
		if why := o.MissingKey(rules); why != "" {
			live, liveReason = false, why
		}
	}
	store, ignored, err := openTrustedCache(ctx, repo, o, out.BaseSHA, out.HeadSHA, baseSnap.cfg(), headProj.Config, out.Changes)
	if err != nil {
		return nil, err
	}
	var skipped []string
	if !live {
		skipped = append(skipped, fmt.Sprintf("model calls (%s): cases without a recorded response were skipped; cost is projected from recorded usage", liveReason))
	}
	skipped = append(skipped, flagNotes...)
	run := &runner{o: o, live: live, cache: store, budget: llm.NewBudget(rules.Gate.MaxCalls)}
	baseRep, err := run.evaluate(ctx, baseSnap.proj, reeval, reproject, "base")
	if err != nil {
		return nil, err
	}
	headRep, err := run.evaluate(ctx, trusted, reeval, reproject, "head")
	if err != nil {
		return nil, err
	}
	if o.Shard.Enabled() {
		out.Evals = &Evals{Base: baseRep, Head: headRep}
	}
	extra, err := run.confirm(ctx, baseSnap.proj, trusted, baseRep, headRep, reeval, rules.Gate.MaxResample)
	if err != nil {
		return nil, err
	}
	// The what-if runs base's candidates: like every rule, the list a change
	// writes takes effect after merge (it would spend on models of its choice).
	models := baseSnap.cfg().Candidates
	if o.NoCandidates {
		models = nil
	}
	candidates, err := run.candidates(ctx, trusted, reeval, headRep, models, baseSnap.cfg().CandidatesMargin, rules)
	if err != nil {
		return nil, err
	}
	if b, h := strings.Join(baseSnap.cfg().Candidates, ", "), strings.Join(headProj.Config.Candidates, ", "); b != h {
		changes = append(changes, config.RuleChange{Key: "candidates", Base: b, Head: h, File: headProj.Config.Path,
			Line: headProj.Config.Line("candidates"), Effect: "the what-if runs base's candidates until this change is merged"})
	}
	if b, h := baseSnap.cfg().CandidatesMargin, headProj.Config.CandidatesMargin; b != h {
		changes = append(changes, config.RuleChange{Key: "candidates_margin", Base: fmt.Sprint(b), Head: fmt.Sprint(h), File: headProj.Config.Path,
			Line: headProj.Config.Line("candidates_margin"), Effect: "the what-if judges at base's margin until this change is merged"})
	}
	affected := map[string][]string{}
	for k, rs := range out.Affected.Reeval {
		affected[k] = markSplits(markAfterMerge(reasons(rs), changes), splitChanges)
	}
	for k, rs := range out.Affected.Reproject {
		affected[k] = append(affected[k], markSplits(markAfterMerge(reasons(rs), changes), splitChanges)...)
	}
	skipped = append(skipped, skipNotes(live, baseRep, headRep)...)
	out.Calls = run.callCount(append([]*eval.Report{baseRep, headRep}, run.candidateReps...)...)
	if n := out.Calls.SkippedRuns; n > 0 {
		skipped = append(skipped, fmt.Sprintf("%d case runs: this check's budget of %d model calls (gate.max_calls, read at base) was spent; "+
			"raise it in promptgate.yaml on the base branch to evaluate them", n, out.Calls.Max))
	}
	if len(ignored) > 0 {
		skipped = append(skipped, fmt.Sprintf("%d recorded responses that this change adds or edits in the response cache: "+
			"ignored, because recorded answers are trusted only from the base commit and from the cache directory outside the checkout", len(ignored)))
	}
	owned, ownerChanges := promptOwners(baseSnap.proj, headProj, mergeKeys(reeval, reproject))
	changes = append(changes, ownerChanges...)
	out.Result = verdict.Compute(verdict.Input{
		Base:                verdict.Side{Report: baseRep, Config: baseSnap.cfg(), Prices: cost.ForConfig(baseSnap.cfg())},
		Head:                verdict.Side{Report: headRep, Config: rules, Prices: cost.ForConfig(rules)},
		Affected:            affected,
		FlagShares:          shares,
		Skipped:             skipped,
		FailOn:              o.FailOn,
		FailOnSkip:          o.FailOnSkip,
		ConfigChanges:       changes,
		HeadAsWritten:       headProj.Config,
		IgnoredCacheEntries: len(ignored),
		Owners:              owned,
		Candidates:          candidates,
		Extra:               extra,
	})
	if recordAll {
		if err := run.recordRest(ctx, trusted, mergeKeys(reeval, reproject), &out.Result); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// recordRest evaluates the head suites of every prompt outside done and adds
// their records to the hidden line, up to verdict.MaxRecords in all.
func (r *runner) recordRest(ctx context.Context, proj *project.Project, done map[string]bool, res *verdict.Result) error {
	rest := map[string]bool{}
	for _, s := range proj.Suites {
		if k := verdict.PromptKey(s.Prompt, s.Variant); !done[k] {
			rest[k] = true
		}
	}
	if len(rest) == 0 {
		return nil
	}
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "recording the prompts this change does not affect, for the default branch's history\n")
	}
	rep, err := r.evaluate(ctx, proj, rest, nil, "record")
	if err != nil {
		return err
	}
	res.AddRecords(rep, cost.ForConfig(proj.Config))
	return nil
}

// resolveRev turns a revision into a commit SHA that is present locally. With
// actions/checkout at fetch-depth 1 neither the base commit nor a branch like
// "main" is there: a SHA is fetched, and a branch name is looked up on the remote
// and then fetched.
func resolveRev(ctx context.Context, repo gitrepo.Repo, rev string) (string, error) {
	if isHex(rev) {
		if err := repo.EnsureCommit(ctx, rev); err != nil {
			return "", fmt.Errorf("fetch commit %s: %w", rev, err)
		}
	}
	sha, err := repo.Resolve(ctx, rev)
	if err == nil {
		return sha, nil
	}
	if isHex(rev) {
		return "", fmt.Errorf("resolve %q: %w", rev, err)
	}
	remoteSHA, rerr := repo.RemoteBranch(ctx, rev)
	if rerr != nil {
		return "", fmt.Errorf("resolve %q locally (%v) or on the remote: %w", rev, err, rerr)
	}
	if err := repo.EnsureCommit(ctx, remoteSHA); err != nil {
		return "", fmt.Errorf("fetch %s (%s): %w", rev, gitsha.Short(remoteSHA), err)
	}
	return remoteSHA, nil
}

// side is one loaded revision.
type side struct {
	snap change.Snapshot
	proj *project.Project
}

func (s side) cfg() *config.Config {
	if s.proj == nil {
		return config.Default()
	}
	return s.proj.Config
}

func emptySnapshot() side {
	return side{snap: change.Snapshot{Config: config.Default()}}
}

// loadSide reads promptgate.yaml, prompts, suites and the flags file at rev from
// git, without touching the working tree.
func loadSide(ctx context.Context, repo gitrepo.Repo, rev, configPath string) (side, *project.Project, error) {
	if configPath == "" {
		configPath = config.FileName
	}
	cfgFS, err := repo.FS(ctx, rev, append([]string{configPath}, project.PromptfooFiles...)...)
	if err != nil {
		return side{}, nil, fmt.Errorf("read %s at %s: %w", configPath, gitsha.Short(rev), err)
	}
	cfg, err := config.Load(cfgFS, configPath)
	if err != nil {
		return side{}, nil, err
	}
	// A promptfoo config reads files relative to its directory, so that
	// directory comes along (the whole tree for a root promptfooconfig.yaml).
	paths := append([]string{configPath, cfg.Paths.Prompts, cfg.Paths.Evals, cfg.Rollout.FlagsFile}, project.PromptfooDirs(cfgFS, cfg)...)
	paths = append(paths, owners.Locations...)
	fsys, err := repo.FS(ctx, rev, paths...)
	if err != nil {
		return side{}, nil, fmt.Errorf("read files at %s: %w", gitsha.Short(rev), err)
	}
	proj, err := project.Load(fsys, configPath)
	if err != nil {
		return side{}, nil, err
	}
	flags, _ := fs.ReadFile(fsys, cfg.Rollout.FlagsFile)
	s := side{proj: proj, snap: change.Snapshot{Config: cfg, Prompts: proj.Prompts, Suites: proj.Suites,
		FlagsFile: cfg.Rollout.FlagsFile, Flags: flags}}
	return s, proj, nil
}

// keysToRun splits the affected prompt keys into those to evaluate live and those
// whose cost only needs re-projecting (answered from the cache). A flag's other
// variant joins the projection so the rollout share can be priced.
func keysToRun(a change.Affected, shares map[string]verdict.FlagShare) (reeval, reproject map[string]bool) {
	reeval, reproject = map[string]bool{}, map[string]bool{}
	for k := range a.Reeval {
		reeval[k] = true
	}
	for k := range a.Reproject {
		if !reeval[k] {
			reproject[k] = true
		}
	}
	for k := range mergeKeys(reeval, reproject) {
		if fs, ok := shares[k]; ok {
			for _, other := range []string{fs.Stable, fs.Rollout} {
				if other != "" && !reeval[other] {
					reproject[other] = true
				}
			}
		}
	}
	return reeval, reproject
}

func mergeKeys(a, b map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// pick returns the suites whose prompt key is in either set.
func pick(suites []*suite.Suite, sets ...map[string]bool) []*suite.Suite {
	var out []*suite.Suite
	for _, s := range suites {
		k := verdict.PromptKey(s.Prompt, s.Variant)
		for _, set := range sets {
			if set[k] {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// runner evaluates the sides of one check with one trusted cache.
type runner struct {
	o       Options
	live    bool
	cache   llm.ResponseCache
	clients map[string]llm.Completer
	// budget is gate.max_calls, read at base, drawn by every client.
	budget *llm.Budget
	// candidateReps are the what-if runs' reports, for counting skips.
	candidateReps []*eval.Report
}

// concurrency is the case runs each evaluation keeps in flight: --concurrency,
// else the config's default provider's, as eval keeps.
func (r *runner) concurrency(cfg *config.Config) int {
	if r.o.Concurrency > 0 {
		return r.o.Concurrency
	}
	return cfg.RunConcurrency()
}

// callCount is what the check spent of its budget, and the case runs of reps
// the spent budget skipped.
func (r *runner) callCount(reps ...*eval.Report) *CallCount {
	c := &CallCount{Max: r.budget.Limit(), Made: r.budget.Used(), Refused: r.budget.Refused()}
	for _, g := range eval.SkipGroups(reps...) {
		if g.Kind == llm.OverBudget.String() {
			c.SkippedRuns += g.Runs
		}
	}
	return c
}

// client returns the model client for a config's providers in a cache mode,
// building it once: base, head, the candidates and the record share it when
// their providers are the same (base's, as the rules have them), so they
// share its concurrency and rate limits, as one provider account does.
func (r *runner) client(cfg *config.Config, mode llm.CacheMode) (llm.Completer, error) {
	names := make([]string, 0, len(cfg.Providers))
	for _, p := range cfg.Providers {
		names = append(names, p.Name+"="+p.Untrusted)
	}
	key := fmt.Sprintf("%d\x00%s\x00%s\x00%s", mode, cfg.DefaultProvider, cfg.Section("providers"), strings.Join(names, "\x00"))
	if c, ok := r.clients[key]; ok {
		return c, nil
	}
	c, err := r.o.NewClient(cfg, mode, r.cache, r.budget)
	if err != nil {
		return nil, err
	}
	if r.clients == nil {
		r.clients = map[string]llm.Completer{}
	}
	r.clients[key] = c
	return c, nil
}

// evaluate runs one side: re-evaluated suites through the live (or, when no
// call may be made, offline) client, re-projected ones from the cache only.
func (r *runner) evaluate(ctx context.Context, proj *project.Project, reeval, reproject map[string]bool, label string) (*eval.Report, error) {
	if proj == nil {
		return nil, nil
	}
	o := r.o
	if o.Given != nil {
		if label == "base" {
			return o.Given.Base, nil
		}
		return o.Given.Head, nil
	}
	liveMode := llm.CacheReadWrite
	if !r.live {
		liveMode = llm.CacheOffline
	}
	total := &eval.Report{Shard: o.Shard.String()}
	for _, part := range []struct {
		set  map[string]bool
		mode llm.CacheMode
	}{{reeval, liveMode}, {reproject, llm.CacheOffline}} {
		suites := pick(proj.Suites, part.set)
		if len(suites) == 0 {
			continue
		}
		if err := eval.Check(suites, proj.Prompts, proj.Config.Defaults.Model); err != nil {
			if label != "head" {
				// A base that no longer validates is compared as absent; a
				// suite run only for the record is left out of it.
				continue
			}
			return nil, err
		}
		client, err := r.client(proj.Config, part.mode)
		if err != nil {
			return nil, err
		}
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "evaluating %s: %d suites, %d case runs (%s)\n", label, len(suites), eval.TotalIn(suites, o.Shard), part.mode)
		}
		er := &eval.Runner{Prompts: proj.Prompts, Client: client, Prices: cost.ForConfig(proj.Config), Concurrency: r.concurrency(proj.Config),
			Shard: o.Shard, DefaultModel: proj.Config.Defaults.Model, JudgeModel: proj.Config.Defaults.JudgeModel, Logger: o.Logger,
			Observer: o.Observer}
		rep, err := er.Run(eval.WithSide(ctx, label), suites)
		if err != nil && !diag.IsInput(err) {
			return nil, fmt.Errorf("evaluate %s: %w", label, err)
		}
		total.Suites = append(total.Suites, rep.Suites...)
		total.Calls += rep.Calls
		total.CacheHits += rep.CacheHits
		total.Duration += rep.Duration
		total.Warnings = append(total.Warnings, rep.Warnings...)
	}
	sort.Slice(total.Suites, func(i, j int) bool { return total.Suites[i].Path < total.Suites[j].Path })
	return total, nil
}

// candidates runs the re-evaluated head suites again on each candidate
// model, through the same client mode and trusted cache, and compares them
// with head. It runs nothing for a sharded check (the what-if is for the
// merged one to add later) or without candidates.
func (r *runner) candidates(ctx context.Context, proj *project.Project, reeval map[string]bool, headRep *eval.Report, models []string, margin float64, rules *config.Config) ([]eval.Candidate, error) {
	o := r.o
	if len(models) == 0 || headRep == nil || o.Given != nil || o.Shard.Enabled() {
		return nil, nil
	}
	suites := pick(proj.Suites, reeval)
	if len(suites) == 0 {
		return nil, nil
	}
	mode := llm.CacheReadWrite
	if !r.live {
		mode = llm.CacheOffline
	}
	client, err := r.client(proj.Config, mode)
	if err != nil {
		return nil, err
	}
	head := &eval.Report{}
	for _, s := range headRep.Suites {
		if reeval[verdict.PromptKey(s.Prompt, s.Variant)] {
			head.Suites = append(head.Suites, s)
		}
	}
	sortSuites(head.Suites)
	reports := map[string]*eval.Report{}
	for _, m := range models {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, "evaluating candidate %s: %d suites, %d case runs (%s)\n", m, len(suites), eval.TotalIn(suites, o.Shard), mode)
		}
		er := &eval.Runner{Prompts: proj.Prompts, Client: client, Prices: cost.ForConfig(proj.Config), Concurrency: r.concurrency(proj.Config),
			DefaultModel: proj.Config.Defaults.Model, Model: m, JudgeModel: proj.Config.Defaults.JudgeModel, Logger: o.Logger,
			Observer: o.Observer}
		rep, err := er.Run(eval.WithSide(ctx, "candidate "+m), suites)
		if err != nil && !diag.IsInput(err) {
			return nil, fmt.Errorf("evaluate candidate %s: %w", m, err)
		}
		if rep == nil {
			continue
		}
		sortSuites(rep.Suites)
		reports[m] = rep
		r.candidateReps = append(r.candidateReps, rep)
	}
	return eval.CompareCandidates(head, reports, func(prompt string) float64 { return rules.Traffic[prompt].RequestsPerDay }, margin), nil
}

// sortSuites orders suites by path, prompt and variant, so two runs of the
// same suites line up index by index.
func sortSuites(ss []*eval.SuiteResult) {
	sort.SliceStable(ss, func(i, j int) bool {
		a, b := ss[i], ss[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Prompt != b.Prompt {
			return a.Prompt < b.Prompt
		}
		return a.Variant < b.Variant
	})
}

func reasons[R ~string](rs []R) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		if !slices.Contains(out, string(r)) {
			out = append(out, string(r))
		}
	}
	return out
}

func isHex(s string) bool {
	if len(s) < 7 {
		return false
	}
	return strings.Trim(strings.ToLower(s), "0123456789abcdef") == ""
}
