package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

const initHelp = `Usage: promptgate init [flags]

Sets up promptgate in the repository (the current directory, or -C DIR):
  promptgate.yaml                     providers, traffic, budget and gates, commented
  prompts/hello.prompt                a sample Dotprompt prompt
  evals/hello.yaml                    its eval suite
  .github/workflows/promptgate.yml    the pull-request check (the promptgate Action)
  .gitignore                          the local response cache, .promptgate/

With a promptfooconfig.yaml (or .yml) in the directory, promptgate.yaml lists it under
promptfoo: and no sample prompt or suite is written: your promptfoo tests are the suites.

init never overwrites a file: each one that exists is left as it is and named as skipped,
and the .gitignore gets only the lines it lacks. Running it twice changes nothing.
On a terminal it shows the plan and asks first; --yes (for scripts) does not ask.

Then:
  OPENAI_API_KEY=sk-... promptgate eval        # or OPENAI_BASE_URL=http://127.0.0.1:11434/v1 for Ollama
  git add -A && git commit -m "promptgate"     # the workflow checks every pull request
`

// initFile is one file init writes: its path, its content, and whether an
// existing file gets the missing lines appended (.gitignore) instead of
// being left alone.
type initFile struct {
	path, content string
	appendLines   bool
}

func runInit(ctx context.Context, args []string, env Env) error {
	fset := newFlagSet("init", initHelp, env)
	dir := fset.String("C", ".", "set up the repository in `dir`")
	yes := fset.Bool("yes", false, "do not ask before writing (for scripts)")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	root := *dir
	if env.Dir != "" && !filepath.IsAbs(root) {
		root = filepath.Join(env.Dir, root)
	}
	if st, err := os.Stat(root); err != nil || !st.IsDir() {
		return usageError{msg: fmt.Sprintf("init: %s is not a directory", root)}
	}
	pf := ""
	for _, name := range []string{"promptfooconfig.yaml", "promptfooconfig.yml"} {
		if _, err := os.Stat(filepath.Join(root, name)); err == nil {
			pf = name
			break
		}
	}
	files := initFiles(pf)
	var write, skip []string
	for _, f := range files {
		exists, missing, err := initState(root, f)
		if err != nil {
			return err
		}
		switch {
		case !exists:
			write = append(write, f.path)
		case f.appendLines && missing != "":
			write = append(write, f.path+" (adding "+strings.Join(strings.Fields(missing), ", ")+")")
		default:
			skip = append(skip, f.path)
		}
	}
	for _, s := range skip {
		fmt.Fprintf(env.Stdout, "skipped %s: it exists, left as it is\n", s)
	}
	if len(write) == 0 {
		fmt.Fprintln(env.Stdout, "promptgate init: nothing to do, every file is in place")
		return nil
	}
	if !*yes && stdinIsTerminal() {
		fmt.Fprintf(env.Stdout, "promptgate init will write:\n  %s\nProceed? [Y/n] ", strings.Join(write, "\n  "))
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "" && a != "y" && a != "yes" {
			fmt.Fprintln(env.Stdout, "nothing written")
			return nil
		}
	}
	for _, f := range files {
		wrote, err := writeInitFile(root, f)
		if err != nil {
			return err
		}
		if wrote != "" {
			fmt.Fprintf(env.Stdout, "wrote %s\n", wrote)
		}
	}
	if pf != "" {
		fmt.Fprintf(env.Stdout, "promptgate.yaml runs %s under promptfoo:; see docs/promptfoo.md for what is read\n", pf)
	}
	fmt.Fprint(env.Stdout, "\nNext:\n  OPENAI_API_KEY=sk-... promptgate eval   # run the suites (OPENAI_BASE_URL picks another endpoint)\n"+
		"  add OPENAI_API_KEY as a repository secret, commit, and open a pull request\n")
	return nil
}

func stdinIsTerminal() bool { return term.IsTerminal(int(os.Stdin.Fd())) }

// initState says whether f exists and, for a file that takes lines, which
// of its lines are missing.
func initState(root string, f initFile) (exists bool, missing string, err error) {
	b, err := os.ReadFile(filepath.Join(root, f.path))
	if errors.Is(err, fs.ErrNotExist) {
		return false, "", nil
	}
	if err != nil {
		return false, "", fmt.Errorf("init: read %s: %w", f.path, err)
	}
	if !f.appendLines {
		return true, "", nil
	}
	have := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		have[strings.TrimSpace(l)] = true
	}
	var out []string
	for _, l := range strings.Split(f.content, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") && !have[l] {
			out = append(out, l)
		}
	}
	return true, strings.Join(out, "\n"), nil
}

// writeInitFile creates f (never replacing one), or appends the lines an
// existing .gitignore lacks. It returns what it wrote, "" for nothing.
func writeInitFile(root string, f initFile) (string, error) {
	exists, missing, err := initState(root, f)
	if err != nil {
		return "", err
	}
	path := filepath.Join(root, f.path)
	switch {
	case !exists:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", fmt.Errorf("init: %w", err)
		}
		// O_EXCL: a file that appeared since the check is still not replaced.
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return "", fmt.Errorf("init: create %s: %w", f.path, err)
		}
		if _, err := out.WriteString(f.content); err != nil {
			out.Close()
			return "", fmt.Errorf("init: write %s: %w", f.path, err)
		}
		return f.path, out.Close()
	case f.appendLines && missing != "":
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("init: read %s: %w", f.path, err)
		}
		add := "\n# promptgate: the local response cache\n" + missing + "\n"
		if len(b) > 0 && b[len(b)-1] != '\n' {
			add = "\n" + add
		}
		out, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return "", fmt.Errorf("init: open %s: %w", f.path, err)
		}
		if _, err := out.WriteString(add); err != nil {
			out.Close()
			return "", fmt.Errorf("init: write %s: %w", f.path, err)
		}
		return f.path + " (added " + strings.Join(strings.Fields(missing), ", ") + ")", out.Close()
	}
	return "", nil
}
