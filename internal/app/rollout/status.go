package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// statusHistory is how many recent commits to the flags file status lists.
const statusHistory = 5

// status answers `/rollout f status` with the flag's split and the file's last commits.
func (s *Service) status(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, flag string) (outcome, error) {
	c := chatops.Command{Kind: chatops.Status, Flag: flag, Raw: "/rollout " + flag + " status"}
	branch, path := branchOf(req, cfg), cfg.Rollout.FlagsFile
	doc, _, err := readFile(ctx, gh, req, branch, path)
	if errors.Is(err, errNotFound) {
		return outcome{text: noFlagsFile(path, branch).text(c)}, nil
	}
	if err != nil {
		return outcome{text: failureText(c, err)}, err
	}
	format := flagd.FormatForPath(path)
	split, err := flagd.ReadSplit(doc, format, flag)
	if errors.Is(err, flagd.ErrFlagNotFound) {
		r := Refusal{RuleFlagExists, missingFlagReason(doc, format, flag, path, branch)}
		return outcome{text: r.text(c)}, nil
	}
	if err != nil {
		err = fmt.Errorf("read %s in %s: %w", flag, path, flagd.InFile(err, path))
		return outcome{text: failureText(c, err)}, err
	}
	commits, _, err := gh.Repositories.ListCommits(ctx, req.Owner, req.Repo, &github.CommitsListOptions{
		SHA: branch, Path: path, ListOptions: github.ListOptions{PerPage: statusHistory}})
	if err != nil {
		err = fmt.Errorf("list commits to %s: %w", path, err)
		return outcome{text: failureText(c, err)}, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "📊 %s in %s on %s: %s\n", mdsafe.Code(flag), mdsafe.Code(path), mdsafe.Code(branch), splitLine(split))
	if len(commits) == 0 {
		b.WriteString("\nNo commits to the flags file yet.")
	} else {
		fmt.Fprintf(&b, "\nLast changes to %s:\n", mdsafe.Code(path))
	}
	for _, rc := range commits {
		subject, _, _ := strings.Cut(rc.GetCommit().GetMessage(), "\n")
		date := rc.GetCommit().GetAuthor().GetDate().Format("2006-01-02")
		fmt.Fprintf(&b, "- %s [%s](%s) %s\n", date, mdsafe.Code(short(rc.GetSHA())), rc.GetHTMLURL(), mdsafe.Inline(subject))
	}
	if md, err := flagd.ReadMeta(doc, format, flag); err == nil {
		if st := readAutoState(md); st.Mode != "" {
			b.WriteString("\n" + st.line() + "\n")
		}
	}
	text := strings.TrimRight(b.String(), "\n")
	if len(cfg.Rollout.Analysis) > 0 && split.Rollout != "" {
		res, err := s.analyze(ctx, cfg, split)
		if err != nil {
			return outcome{text: failureText(c, err)}, err
		}
		text += "\n\n" + res.Markdown()
	}
	return outcome{ok: true, text: text}, nil
}

func splitLine(s flagd.Split) string {
	if !s.HasFractional {
		return fmt.Sprintf("no rollout yet, every key gets stable %s.", mdsafe.Code(s.Stable))
	}
	return fmt.Sprintf("stable %s **%d%%**, rollout %s **%d%%**.", mdsafe.Code(s.Stable), 100-s.RolloutPct, mdsafe.Code(s.Rollout), s.RolloutPct)
}
