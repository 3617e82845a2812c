// Package cli is promptgate's command line: it parses arguments, wires the
// packages together, and maps errors to exit codes in one place.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/promptgate/promptgate/internal/diag"
)

// Exit codes, as SPEC fixes them.
const (
	ExitOK       = 0 // every gate passed
	ExitGateFail = 1 // a gate failed (regression, threshold, cost, budget…)
	ExitBadInput = 2 // bad input or configuration
)

// Version is set at build time with -ldflags "-X github.com/promptgate/promptgate/internal/cli.Version=v1.2.3".
var Version = "dev"

// errGate reports that evaluation finished but a gate failed (exit 1).
var errGate = errors.New("gate failed")

// usageError is a command-line mistake (exit 2) whose text is printed with the usage hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Env is what a command needs from the process, injected so tests can drive it.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
	// Dir is the working directory commands resolve relative paths against ("" = current).
	Dir string
}

const rootHelp = `promptgate — evaluate, cost and roll out LLM prompt changes from pull requests.

Usage:
  promptgate <command> [flags]

Commands:
  init      Set up promptgate in a repository: promptgate.yaml, a sample prompt and suite, the workflow.
  eval      Run the repo's eval suites against an OpenAI-compatible endpoint and print a table.
  check     Evaluate base vs head of a change, project monthly cost, gate it, and publish the diff
            (the GitHub Action runs this; locally: promptgate check --base main).
  merge     Combine the JSON reports of --shard K/N runs of eval or check into one run's report.
  view      Serve an HTML or JSON report on 127.0.0.1 (eval -o report.html; promptgate view report.html).
  serve     Run the GitHub App webhook server for /rollout and /rollback PR comments.
  app       Register the GitHub App with GitHub's manifest flow: promptgate app manifest --help
  version   Print the version.
  help      Show help for a command: promptgate help eval

Quick start (no API key needed, answers come from the committed recorded cache):
  promptgate eval --offline

Files promptgate reads (all optional but prompts/ and evals/):
  promptgate.yaml        providers, pricing, traffic, budget, gate, rollout
  prompts/**/*.prompt    Dotprompt prompts; variants are name.VARIANT.prompt, partials _name.prompt
  evals/**/*.yaml        eval suites: prompt, threshold, repeat, tests with vars and assert
  tools/NAME.yaml        tool definitions a prompt offers with tools: [NAME] (docs/tools.md)

Exit status: 0 all gates passed, 1 a gate failed, 2 bad input or configuration.
Docs: README.md and docs/ in the promptgate repository.
`

// Main runs promptgate with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	env := Env{Getenv: getenv, Stdout: stdout, Stderr: stderr}
	if len(args) == 0 {
		fmt.Fprint(stderr, rootHelp)
		return ExitBadInput
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "eval":
		err = runEval(ctx, rest, env)
	case "check":
		err = runCheck(ctx, rest, env)
	case "merge":
		err = runMerge(ctx, rest, env)
	case "serve":
		err = runServe(ctx, rest, env)
	case "app":
		err = runApp(ctx, rest, env)
	case "view":
		err = runView(ctx, rest, env)
	case "init":
		err = runInit(ctx, rest, env)
	case "version", "--version":
		fmt.Fprintf(stdout, "promptgate %s\n", Version)
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 && rest[0] != "help" {
			return Main(ctx, []string{rest[0], "--help"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, rootHelp)
	default:
		fmt.Fprintf(stderr, "promptgate: unknown command %q\n\n%s", cmd, rootHelp)
		return ExitBadInput
	}
	return exitCode(err, stderr)
}

// exitCode maps an error to promptgate's exit status, printing it once.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, flag.ErrHelp):
		return ExitOK
	case errors.Is(err, errGate):
		return ExitGateFail
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "promptgate: %s\n", ue.msg)
		return ExitBadInput
	case diag.IsInput(err):
		fmt.Fprintf(stderr, "%s\n", err)
		return ExitBadInput
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "promptgate: interrupted")
		return ExitBadInput
	default:
		fmt.Fprintf(stderr, "promptgate: %s\n", err)
		return ExitBadInput
	}
}

// newFlagSet builds a flag set for a subcommand. Its help text (the teaching
// text, then the flags) is printed to stdout on -h/--help only; a mistyped flag
// gets one line naming the mistake, not the whole help.
func newFlagSet(name, help string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(env.Stdout, help)
		fmt.Fprintln(env.Stdout, "\nFlags:")
		fs.SetOutput(env.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parseFlags parses args, turning flag errors into usage errors (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) error {
	rest, err := parseFlagsAndArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{msg: fmt.Sprintf("%s: unexpected argument %q (see promptgate %s --help)", fs.Name(), rest[0], fs.Name())}
	}
	return nil
}

// parseFlagsAndArgs parses flags placed anywhere among the arguments and
// returns the arguments that are not flags.
func parseFlagsAndArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package calls Usage on errors too; print help only when asked
	defer func() { fs.Usage = usage }()
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, usageError{msg: fmt.Sprintf("%s: %v (see promptgate %s --help)", fs.Name(), err, fs.Name())}
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// listFlag is a repeatable, comma-separable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
