// Package chatops parses promptgate's PR-comment commands:
//
//	/rollout <flag> <percent>[%]
//	/rollout <flag> status
//	/rollout <flag> auto|pause|resume
//	/rollback <flag>
//	/promptgate help
//
// Parse is a pure function of the comment body. It finds commands only at the
// start of a line, the way Atlantis and Prow do, and skips fenced code,
// quotes and HTML comments so that quoting or documenting a command never
// runs it. Whether a percentage is an allowed step, or whether the commenter
// may run commands at all, is policy and lives elsewhere.
package chatops

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Kind is what a command asks for.
type Kind int

const (
	// Rollout sets a flag's rollout share to Percent.
	Rollout Kind = iota + 1
	// Rollback sends all of a flag's traffic back to its stable variant.
	Rollback
	// Status reports a flag's current split.
	Status
	// Help asks for the command reference.
	Help
	// Auto starts an automatic rollout through rollout.steps.
	Auto
	// Pause holds an automatic rollout at its current step.
	Pause
	// Resume carries on a paused automatic rollout.
	Resume
)

// modes are the words after a flag that name a Kind instead of a percentage.
var modes = map[string]Kind{"status": Status, "auto": Auto, "pause": Pause, "resume": Resume}

// String returns the kind's name.
func (k Kind) String() string {
	switch k {
	case Rollout:
		return "rollout"
	case Rollback:
		return "rollback"
	case Status:
		return "status"
	case Help:
		return "help"
	case Auto:
		return "auto"
	case Pause:
		return "pause"
	case Resume:
		return "resume"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Command is one well-formed command found in a comment.
type Command struct {
	Kind Kind
	// Flag is the flag key, exactly as typed (flag keys are case-sensitive);
	// empty for Help.
	Flag string
	// Percent is the requested rollout share, 0..100; set only for Rollout.
	Percent int
	// Line is the 1-based line of the command in the comment.
	Line int
	// Raw is the command line as written, without surrounding whitespace.
	Raw string
}

// String renders the command in canonical form, which Parse reads back as
// the same command.
func (c Command) String() string {
	switch c.Kind {
	case Rollout:
		return fmt.Sprintf("/rollout %s %d%%", c.Flag, c.Percent)
	case Rollback:
		return "/rollback " + c.Flag
	case Status, Auto, Pause, Resume:
		return "/rollout " + c.Flag + " " + c.Kind.String()
	case Help:
		return "/promptgate help"
	default:
		return ""
	}
}

// Problem is a line that addresses promptgate but is not a valid command. It
// deserves a reply: Msg says what is wrong and shows the right usage.
// Msg is markdown that quotes the commenter's words only through mdsafe, so it
// can go into a reply as is.
type Problem struct {
	// Line is the 1-based line in the comment.
	Line int
	// Raw is the offending line, without surrounding whitespace.
	Raw string
	// Msg explains the problem and ends with the command's usage.
	Msg string
}

// Usage syntax, one per command word, repeated in every problem message.
const (
	rolloutUsage    = "`/rollout <flag> <percent>[%]` or `/rollout <flag> status|auto|pause|resume`"
	rollbackUsage   = "`/rollback <flag>`"
	promptgateUsage = "`/promptgate help`"
)

// Usage returns the command reference as GitHub markdown, for replies to
// `/promptgate help` and to malformed commands.
func Usage() string {
	return `**promptgate commands**, each on a line of its own in a pull request comment:

| command | what it does |
|---|---|
| ` + "`/rollout <flag> <percent>[%]`" + ` | serve the flag's rollout variant to ` + "`<percent>`" + `% of targeting keys, e.g. ` + "`/rollout summarize 25%`" + ` |
| ` + "`/rollout <flag> status`" + ` | show the flag's current split |
| ` + "`/rollout <flag> auto`" + ` | step through ` + "`rollout.steps`" + ` every ` + "`rollout.interval`" + ` while ` + "`rollout.analysis`" + ` passes; roll back after ` + "`rollout.failure_limit`" + ` failed analyses in a row |
| ` + "`/rollout <flag> pause`" + ` / ` + "`resume`" + ` | hold an automatic rollout at its step, or carry it on; a manual ` + "`/rollout`" + ` or ` + "`/rollback`" + ` ends it |
| ` + "`/rollback <flag>`" + ` | send all traffic back to the flag's stable (default) variant |
| ` + "`/promptgate help`" + ` | show this help |

` + "`<flag>`" + ` is a flag key in the repository's flags file. ` + "`<percent>`" + ` is a whole number from 0 to 100; the repository's ` + "`rollout.steps`" + ` setting decides which steps are allowed.
Commands inside code blocks, quotes and HTML comments are ignored.
`
}

// maxFlagLen bounds flag names; flagd keys are short identifiers in practice.
const maxFlagLen = 200

var flagName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Parse reads every command in a comment body, in order. Lines that start
// with /rollout, /rollback or /promptgate but are malformed come back as
// problems; every other line, including other bots' slash commands, is
// ignored.
func Parse(body string) (cmds []Command, problems []Problem) {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	var skip skipper
	for i, line := range strings.Split(body, "\n") {
		if skip.ignore(line) {
			continue
		}
		raw := strings.TrimSpace(line)
		fields := strings.Fields(raw)
		if len(fields) == 0 {
			continue
		}
		var (
			cmd Command
			msg string
		)
		switch strings.ToLower(fields[0]) {
		case "/rollout":
			cmd, msg = parseRollout(fields[1:])
		case "/rollback":
			cmd, msg = parseRollback(fields[1:])
		case "/promptgate":
			cmd, msg = parsePromptgate(fields[1:])
		default:
			continue // not ours
		}
		if msg != "" {
			problems = append(problems, Problem{Line: i + 1, Raw: raw, Msg: msg})
			continue
		}
		cmd.Line, cmd.Raw = i+1, raw
		cmds = append(cmds, cmd)
	}
	return cmds, problems
}

func parseRollout(args []string) (Command, string) {
	const usage = " Usage: " + rolloutUsage + "."
	// "25 %" is as clear as "25%"; accept it.
	if len(args) == 3 && args[2] == "%" {
		args = []string{args[0], args[1] + "%"}
	}
	switch len(args) {
	case 0:
		return Command{}, "`/rollout` needs a flag name and a percentage." + usage
	case 1:
		if _, msg := parsePercent(args[0]); msg == "" {
			return Command{}, "`/rollout` needs a flag name before the percentage." + usage
		}
		return Command{}, fmt.Sprintf("%s needs a percentage (or `status`, `auto`, `pause`, `resume`).", mdsafe.Code("/rollout "+args[0])) + usage
	case 2:
	default:
		return Command{}, fmt.Sprintf("`/rollout` takes two arguments; %s is one too many.", mdsafe.Code(args[2])) + usage
	}
	flag, msg := parseFlag(args[0])
	if msg != "" {
		return Command{}, msg + usage
	}
	if k, ok := modes[strings.ToLower(args[1])]; ok {
		return Command{Kind: k, Flag: flag}, ""
	}
	pct, msg := parsePercent(args[1])
	if msg != "" {
		return Command{}, msg + usage
	}
	return Command{Kind: Rollout, Flag: flag, Percent: pct}, ""
}

func parseRollback(args []string) (Command, string) {
	const usage = " Usage: " + rollbackUsage + "."
	switch len(args) {
	case 0:
		return Command{}, "`/rollback` needs a flag name." + usage
	case 1:
	default:
		return Command{}, fmt.Sprintf("`/rollback` takes only a flag name; %s is one too many.", mdsafe.Code(args[1])) + usage
	}
	flag, msg := parseFlag(args[0])
	if msg != "" {
		return Command{}, msg + usage
	}
	return Command{Kind: Rollback, Flag: flag}, ""
}

func parsePromptgate(args []string) (Command, string) {
	const usage = " Usage: " + promptgateUsage + "; see it for the other commands."
	switch {
	case len(args) == 0, len(args) == 1 && strings.EqualFold(args[0], "help"):
		return Command{Kind: Help}, ""
	case strings.EqualFold(args[0], "help"):
		return Command{}, fmt.Sprintf("`/promptgate help` takes no arguments; %s is one too many.", mdsafe.Code(args[1])) + usage
	default:
		return Command{}, fmt.Sprintf("unknown command %s.", mdsafe.Code("/promptgate "+args[0])) + usage
	}
}

// parseFlag checks a flag name, accepting it wrapped in `backticks` since
// people format names that way in comments.
func parseFlag(s string) (string, string) {
	if len(s) > 2 && strings.HasPrefix(s, "`") && strings.HasSuffix(s, "`") {
		s = s[1 : len(s)-1]
	}
	switch {
	case len(s) > maxFlagLen:
		return "", fmt.Sprintf("flag name is longer than %d characters.", maxFlagLen)
	case !flagName.MatchString(s):
		return "", fmt.Sprintf("%s is not a flag name: use letters, digits, '-', '_' and '.'.", mdsafe.Code(s))
	}
	return s, ""
}

// parsePercent reads "25" or "25%" as a whole number from 0 to 100, or
// explains why it can't.
func parsePercent(s string) (int, string) {
	digits := strings.TrimSuffix(s, "%")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		if _, err := strconv.ParseFloat(digits, 64); err == nil {
			return 0, fmt.Sprintf("percentage %s must be a whole number from 0 to 100.", mdsafe.Code(s))
		}
		return 0, fmt.Sprintf("%s is not a percentage: use a whole number from 0 to 100, like `25` or `25%%`.", mdsafe.Code(s))
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n > 100 {
		return 0, fmt.Sprintf("percentage %s is more than 100.", mdsafe.Code(s))
	}
	return n, ""
}
