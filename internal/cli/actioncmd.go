package cli

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v62/github"
	"github.com/sethvargo/go-githubactions"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/action/ghevent"
	"github.com/promptgate/promptgate/internal/action/verdict"
	"github.com/promptgate/promptgate/internal/ghclient"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/publish"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/shard"
)

// runAction is `promptgate check` inside GitHub Actions: inputs from action.yml,
// base and head from the event, results to a check run (or, when the token may
// not write checks, workflow-command annotations), the job summary, the step
// outputs and optionally a sticky PR comment.
func runAction(ctx context.Context, o checkOptions, env Env) error {
	gha := githubactions.New(githubactions.WithGetenv(env.Getenv), githubactions.WithWriter(env.Stdout))
	input := func(name, current string) string {
		if v := strings.TrimSpace(gha.GetInput(name)); v != "" {
			return v
		}
		return current
	}
	o.configPath = input("config", o.configPath)
	o.dir = input("working-directory", o.dir)
	o.failOn = input("fail-on", o.failOn)
	o.cacheDir = input("cache-dir", o.cacheDir)
	o.comment = o.comment || input("comment", "") == "true"
	o.failOnSkip = o.failOnSkip || input("fail-on-skip", "") == "true"
	o.noCandidates = o.noCandidates || input("no-candidates", "") == "true"
	history := input("history", "true") != "false"
	historyApp := input("history-app", publish.DefaultHistoryApp)
	// The token is the publisher's alone: action.yml passes it only as the
	// github-token input, and api_key_env may not name INPUT_* or GITHUB_*.
	token := input("github-token", env.Getenv("GITHUB_TOKEN"))
	if token != "" {
		gha.AddMask(token)
	}
	cacheDir, err := actionCacheDir(o, env)
	if err != nil {
		return err
	}
	o.cacheDir = cacheDir

	ev, err := ghevent.Read(env.Getenv, os.ReadFile)
	if err != nil {
		if errors.Is(err, ghevent.ErrNothingToCheck) {
			fmt.Fprintf(env.Stdout, "promptgate: %v\n", err)
			return nil
		}
		// An annotation on the run, besides the log line exitCode prints.
		gha.Errorf("%v", err)
		return usageError{msg: "check: " + err.Error()}
	}
	if history && ev.Name == "push" && ev.HeadRef != "" && ev.HeadRef == ev.DefaultBranch {
		// The default branch's check runs are the history pull requests
		// chart: record every prompt, not only those this push affects.
		o.recordAll = true
	}
	headInput := input("head", "")
	base := input("base", cmp.Or(ev.BaseSHA, ev.BaseRef))
	head := cmp.Or(headInput, ev.HeadSHA, ev.HeadRef, "HEAD")
	if ev.Fork {
		o.forkPR, o.forkRepo = true, ev.HeadRepo
	}
	if o.given == nil {
		o.shard = input("shard", o.shard)
		if done, err := runActionShard(ctx, o, env, gha, base, head); done {
			return err
		}
	}
	o.shard = ""
	if o.reportJSON == "" {
		o.reportJSON = filepath.Join(cmp.Or(env.Getenv("RUNNER_TEMP"), os.TempDir()), "promptgate-report.json")
	}

	// A check run, its annotation batches and the sticky comment wait out
	// GitHub's rate limits rather than fail the job.
	client, err := ghclient.New(token, env.Getenv("GITHUB_API_URL"), nil)
	if err != nil {
		return usageError{msg: "check: " + err.Error()}
	}
	job := &publish.Job{Summary: publish.NewStepSummary(env.Getenv), Annotations: publish.NewWorkflowAnnotations(env.Stdout), Warnf: gha.Warningf}
	if token != "" {
		job.Run = publish.NewCheckRun(client, ev.Owner, ev.Repo, "")
		if s, r, id := env.Getenv("GITHUB_SERVER_URL"), env.Getenv("GITHUB_REPOSITORY"), env.Getenv("GITHUB_RUN_ID"); s != "" && r != "" && id != "" {
			job.Run.DetailsURL = s + "/" + r + "/actions/runs/" + id
		}
	}
	if o.comment && ev.PR > 0 {
		job.Comment = publish.NewStickyComment(client, ev.Owner, ev.Repo, ev.PR)
	}
	// The check run goes on the event's head commit, created in_progress before
	// the evaluation. When only a branch is known (a workflow_dispatch head
	// input) or the head input overrides the event, it goes on the resolved head
	// once the comparison has run.
	lateCheckRun := headInput != "" || ev.HeadSHA == ""
	if !lateCheckRun {
		if err := job.Start(ctx, ev.HeadSHA); err != nil {
			return err
		}
	}

	gha.Group("promptgate: evaluate base and head")
	res, err := compare(ctx, o, env, base, head)
	gha.EndGroup()
	if err != nil {
		if err := job.Abandon(ctx, err); err != nil {
			fmt.Fprintf(env.Stderr, "promptgate: complete check run after failure: %v\n", err)
		}
		return err
	}
	if lateCheckRun {
		if err := job.Start(ctx, res.HeadSHA); err != nil {
			return err
		}
	}
	if ev.PR > 0 && token != "" && len(res.Problems) == 0 && !res.Affected.Empty() {
		addTrends(ctx, client, ev, historyApp, res, gha)
	}
	// The HTML report goes up with the JSON one (action.yml uploads both).
	if len(o.outputs) == 0 {
		o.outputs = []string{filepath.Join(cmp.Or(env.Getenv("RUNNER_TEMP"), os.TempDir()), "promptgate-report.html")}
	}
	if err := writeCheckOutputs(env, res, o.outputs); err != nil {
		gha.Warningf("promptgate could not write its HTML report: %v", err)
	}
	outcome, err := actionOutcome(res, ev, o.reportJSON, artifactHint(env.Getenv))
	if err != nil {
		return err
	}
	if err := job.Publish(ctx, outcome); err != nil {
		return err
	}
	outputs := publish.OutputsFor(res.Result, o.reportJSON)
	outputs.Conclusion = outcome.Conclusion
	if err := publish.WriteOutputs(env.Getenv, outputs); err != nil {
		return err
	}
	return conclusionErr(res)
}

// runActionShard runs the jobs of a sharded matrix: a shard job (shard: K/N)
// evaluates its part and publishes nothing, and the merge job (shard:
// merge[:DIR]) merges the shard reports into the one check run. done is false
// when o is not sharded, and the caller runs the whole check.
func runActionShard(ctx context.Context, o checkOptions, env Env, gha *githubactions.Action, base, head string) (done bool, err error) {
	if dir, ok := strings.CutPrefix(o.shard, "merge"); ok {
		// The merge job of a sharded matrix: shard: merge[:DIR] merges the
		// shard reports downloaded into DIR (default promptgate-shards).
		dir = cmp.Or(strings.TrimPrefix(dir, ":"), "promptgate-shards")
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 0 {
			gha.Errorf("shard: merge found no shard reports (*.json) in %s", dir)
			return true, usageError{msg: "check: shard: merge found no shard reports (*.json) in " + dir}
		}
		o.shard = ""
		return true, mergeReports(ctx, o, env, files, "table")
	}
	if sh, err := shard.Parse(o.shard); err != nil {
		gha.Errorf("shard: %v", err)
		return true, usageError{msg: "check: shard: " + err.Error()}
	} else if sh.Enabled() {
		if o.reportJSON == "" {
			o.reportJSON = filepath.Join(cmp.Or(env.Getenv("RUNNER_TEMP"), os.TempDir()),
				fmt.Sprintf("promptgate-report-shard-%d-of-%d.json", sh.K, sh.N))
		}
		gha.Group("promptgate: evaluate shard " + sh.String() + " of base and head")
		res, err := compare(ctx, o, env, base, head)
		gha.EndGroup()
		if err != nil {
			return true, err
		}
		if err := writeShard(env, res, o.reportJSON); err != nil {
			return true, err
		}
		return true, publish.WriteOutputs(env.Getenv, publish.Outputs{ReportJSON: o.reportJSON})
	}
	return false, nil
}

// trendRuns is how many earlier default-branch check runs a pull request's
// trends chart.
const trendRuns = 20

// addTrends reads the default branch's recent check runs and charts the
// affected prompts over them. Trends decide nothing, so a token that cannot
// read the Checks API or a branch with no history costs one log line. Only
// check runs made by app (the history-app input) count.
func addTrends(ctx context.Context, client *github.Client, ev ghevent.Event, app string, res *check.Outcome, gha *githubactions.Action) {
	hist, err := publish.History(ctx, client, ev.Owner, ev.Repo, ev.DefaultBranch, app, trendRuns)
	if err != nil {
		gha.Infof("promptgate: no trends (%v)", err)
		return
	}
	res.Result.AddTrends(hist, res.HeadSHA)
	if len(res.Result.Trends) == 0 {
		gha.Infof("promptgate: no trends: none of the last %d check runs on %s recorded an affected prompt", trendRuns, ev.DefaultBranch)
	}
}

// artifactHint links the run's artifacts, where action.yml uploads the JSON
// report under the name it passes as PROMPTGATE_REPORT_ARTIFACT. A path on the
// runner helps no reviewer, so without an upload the report says nothing.
func artifactHint(getenv func(string) string) report.DiffOptions {
	name := getenv("PROMPTGATE_REPORT_ARTIFACT")
	server, repo, run := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID")
	if name == "" || server == "" || repo == "" || run == "" {
		return report.DiffOptions{}
	}
	return report.DiffOptions{FullReportHint: "full report: the " + name + " artifact of this run",
		FullReportURL: fmt.Sprintf("%s/%s/actions/runs/%s#artifacts", server, repo, run)}
}

// actionCacheDir is the response cache the Action records into and trusts:
// the cache-dir input, by default $RUNNER_TEMP/promptgate-cache, which
// actions/cache restores and saves. It must lie outside the checkout: a pull
// request can commit files anywhere in the checkout, and a recorded answer
// planted there would be saved by actions/cache and trusted on the next run.
func actionCacheDir(o checkOptions, env Env) (string, error) {
	root := o.dir
	if env.Dir != "" && !filepath.IsAbs(root) {
		root = filepath.Join(env.Dir, root)
	}
	dir := o.cacheDir
	if dir == "" {
		dir = filepath.Join(cmp.Or(env.Getenv("RUNNER_TEMP"), os.TempDir()), "promptgate-cache")
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	if check.InsideWorkTree(root, dir) {
		return "", usageError{msg: fmt.Sprintf("check: cache-dir %s is inside the checkout (%s), where a pull request can plant recorded answers "+
			"that actions/cache would then save and promptgate trust; leave cache-dir empty (default $RUNNER_TEMP/promptgate-cache) "+
			"or point it outside the workspace. Answers committed to the repository are still read, from the base commit only", o.cacheDir, root)}
	}
	return dir, nil
}

// actionOutcome builds what the sinks publish: the same markdown as the local
// command, a title, the conclusion, and annotations for regressions, located
// gate findings and configuration errors.
func actionOutcome(res *check.Outcome, ev ghevent.Event, reportJSON string, hint report.DiffOptions) (publish.Outcome, error) {
	var md bytes.Buffer
	if len(ev.Notes) > 0 {
		// Notes quote branch names, which whoever pushes the branch chooses.
		for _, n := range ev.Notes {
			fmt.Fprintf(&md, "> %s\n", mdsafe.Inline(n))
		}
		md.WriteString("\n")
	}
	if err := renderOutcome(&md, res, reportJSON, hint); err != nil {
		return publish.Outcome{}, err
	}
	out := publish.Outcome{Summary: md.String(), Conclusion: res.Result.Conclusion}
	switch {
	case len(res.Problems) > 0:
		out.Title = fmt.Sprintf("promptgate: %d configuration errors", len(res.Problems))
		out.Conclusion = verdict.ConclusionFailure
		for _, p := range res.Problems {
			out.Annotations = append(out.Annotations, publish.Annotation{Path: p.File, Line: max(1, p.Line),
				Level: publish.LevelFailure, Title: "promptgate: configuration error", Message: p.Msg})
		}
	case res.Affected.Empty():
		out.Title = "promptgate: no LLM changes"
		out.Conclusion = verdict.ConclusionNeutral
	default:
		out.Title = report.DiffTitle(res.Result)
		out.Annotations = publish.Annotations(res.Result)
	}
	return out, nil
}
