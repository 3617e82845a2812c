package chatops

// MaxCommands is the most command lines one comment runs. Each command costs
// GitHub API calls from the installation's hourly allowance, which automatic
// rollouts and alert rollbacks need too, so a long comment must not spend it.
const MaxCommands = 5

// Limit keeps the first max command lines of a comment, commands and problems
// together in line order, and drops a command that repeats one already kept.
// ignored counts the command lines dropped.
func Limit(cmds []Command, problems []Problem, max int) (keptCmds []Command, keptProblems []Problem, ignored int) {
	seen := map[Command]bool{}
	kept := 0
	ci, pi := 0, 0
	for ci < len(cmds) || pi < len(problems) {
		takeCmd := pi >= len(problems) || (ci < len(cmds) && cmds[ci].Line < problems[pi].Line)
		if takeCmd {
			c := cmds[ci]
			ci++
			key := Command{Kind: c.Kind, Flag: c.Flag, Percent: c.Percent}
			if seen[key] || kept >= max {
				ignored++
				continue
			}
			seen[key] = true
			keptCmds = append(keptCmds, c)
		} else {
			p := problems[pi]
			pi++
			if kept >= max {
				ignored++
				continue
			}
			keptProblems = append(keptProblems, p)
		}
		kept++
	}
	return keptCmds, keptProblems, ignored
}
