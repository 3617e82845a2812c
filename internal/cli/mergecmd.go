package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/gitsha"
	"github.com/promptgate/promptgate/internal/report"
	"github.com/promptgate/promptgate/internal/shard"
)

const mergeHelp = `Usage: promptgate merge [flags] REPORT.json…

Combines the reports of the N shards of one run (eval --shard K/N --format json, or
check --shard K/N --report-json FILE) into exactly what one unsharded run reports: the
same per-suite and per-case figures and the same exit status. It refuses a set with a
shard missing, twice, or from another commit.

Eval reports are printed in --format table, json, markdown or junit.

Check reports are compared again from the repository (run merge in a checkout of the
same commit, with the same --base and --head): change detection, cost projection and the
gates run as in check, with the shards' evaluations instead of model calls. Inside GitHub
Actions it then publishes the one check run, job summary and step outputs that check
would, which is how a sharded matrix workflow ends (see docs/action.md).

Examples:
  promptgate eval --shard 1/2 --format json > part1.json   # on one machine
  promptgate eval --shard 2/2 --format json > part2.json   # on another
  promptgate merge part1.json part2.json
  promptgate merge --base main shards/*.json                 # check shards

Exit status: as the unsharded eval or check: 0 all gates passed, 1 a gate failed, 2 bad
input, configuration, or an incomplete set of shards.
`

func runMerge(ctx context.Context, args []string, env Env) error {
	var o checkOptions
	fs := newFlagSet("merge", mergeHelp, env)
	checkFlags(fs, &o)
	format := fs.String("format", "table", "output `format` of merged eval reports: table, json, markdown or junit")
	files, err := parseFlagsAndArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{msg: "merge: name the shards' JSON reports, for example promptgate merge shard-*.json"}
	}
	if _, err := report.FormatOK(*format); err != nil {
		return usageError{msg: "merge: " + err.Error()}
	}
	return mergeReports(ctx, o, env, files, *format)
}

// mergeReports merges the named shard reports: eval reports are printed in
// format, check reports are compared again (and published in Action mode).
func mergeReports(ctx context.Context, o checkOptions, env Env, files []string, format string) error {
	var evals []*eval.Report
	var checks []*check.Outcome
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return usageError{msg: "merge: " + err.Error()}
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal(b, &probe); err != nil {
			return usageError{msg: fmt.Sprintf("merge: %s is not a JSON report: %v", f, err)}
		}
		switch {
		case probe["suites"] != nil:
			var r eval.Report
			if err := json.Unmarshal(b, &r); err != nil {
				return usageError{msg: fmt.Sprintf("merge: %s: %v", f, err)}
			}
			evals = append(evals, &r)
		case probe["Result"] != nil:
			var r check.Outcome
			if err := json.Unmarshal(b, &r); err != nil {
				return usageError{msg: fmt.Sprintf("merge: %s: %v", f, err)}
			}
			checks = append(checks, &r)
		default:
			return usageError{msg: fmt.Sprintf("merge: %s is neither an eval --format json report nor a check --report-json report", f)}
		}
	}
	if len(evals) > 0 && len(checks) > 0 {
		return usageError{msg: "merge: the reports mix eval and check shards; merge each run on its own"}
	}
	if len(evals) > 0 {
		merged, err := eval.Merge(evals, files)
		if err != nil {
			return usageError{msg: err.Error()}
		}
		if err := report.WriteEval(env.Stdout, merged, format); err != nil {
			return err
		}
		if err := writeEvalOutputs(env, merged, o.outputs); err != nil {
			return err
		}
		total := 0
		for _, s := range merged.Suites {
			total += len(s.Cases)
		}
		return evalVerdict(merged, total)
	}
	given, err := mergeChecks(checks, files)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	o.given = given
	if env.Getenv("GITHUB_ACTIONS") == "true" {
		return runAction(ctx, o, env)
	}
	if o.base == "" {
		o.base = checks[0].BaseSHA
	}
	if o.head == "" || o.head == "HEAD" {
		o.head = cmp.Or(checks[0].HeadSHA, o.head)
	}
	res, err := compare(ctx, o, env, o.base, o.head)
	if err != nil {
		return err
	}
	if err := writeCheckOutputs(env, res, o.outputs); err != nil {
		return err
	}
	return printOutcome(env, res, o.reportJSON)
}

// mergeChecks merges check shards' base and head reports. Shards that found
// nothing to evaluate carry none.
func mergeChecks(checks []*check.Outcome, files []string) (*check.Evals, error) {
	specs := make([]string, len(checks))
	for i, c := range checks {
		specs[i] = c.Shard
	}
	if err := shard.Complete(specs, files); err != nil {
		return nil, err
	}
	var bases, heads []*eval.Report
	var baseNames, headNames []string
	for i, c := range checks {
		if c.BaseSHA != checks[0].BaseSHA || c.HeadSHA != checks[0].HeadSHA {
			return nil, fmt.Errorf("merge: %s compares %s..%s but %s compares %s..%s: shards must check the same commits",
				files[i], gitsha.Short(c.BaseSHA), gitsha.Short(c.HeadSHA), files[0], gitsha.Short(checks[0].BaseSHA), gitsha.Short(checks[0].HeadSHA))
		}
		if c.Evals == nil {
			continue // nothing to evaluate, or the head did not load: merge finds the same
		}
		if c.Evals.Base != nil {
			bases, baseNames = append(bases, c.Evals.Base), append(baseNames, files[i])
		}
		if c.Evals.Head != nil {
			heads, headNames = append(heads, c.Evals.Head), append(headNames, files[i])
		}
	}
	out := &check.Evals{}
	var err error
	if len(bases) > 0 {
		if out.Base, err = eval.Merge(bases, baseNames); err != nil {
			return nil, fmt.Errorf("%w (base)", err)
		}
	}
	if len(heads) > 0 {
		if out.Head, err = eval.Merge(heads, headNames); err != nil {
			return nil, fmt.Errorf("%w (head)", err)
		}
	}
	return out, nil
}
