package publish

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// DefaultStickyMarker identifies promptgate's sticky comment on a PR.
const DefaultStickyMarker = "<!-- promptgate:sticky-comment -->"

// maxCommentBody is GitHub's cap on an issue comment body.
const maxCommentBody = 65536

// StickyComment keeps one PR comment with the latest outcome: it finds the
// comment by its hidden marker and edits it in place, or creates it.
type StickyComment struct {
	Client *github.Client
	Owner  string
	Repo   string
	Number int
	// Marker defaults to DefaultStickyMarker.
	Marker string
}

// NewStickyComment returns a sticky-comment sink for PR number in owner/repo.
func NewStickyComment(client *github.Client, owner, repo string, number int) *StickyComment {
	return &StickyComment{Client: client, Owner: owner, Repo: repo, Number: number, Marker: DefaultStickyMarker}
}

func (s *StickyComment) marker() string {
	if s.Marker == "" {
		return DefaultStickyMarker
	}
	return s.Marker
}

// Publish creates or updates the sticky comment with o.Summary. A 403 or 404
// (a fork PR's read-only token) yields an error matching ErrForbidden.
func (s *StickyComment) Publish(ctx context.Context, o Outcome) error {
	body := s.marker() + "\n" + o.Summary
	if len(body) > maxCommentBody {
		body = mdsafe.Truncate(body, maxCommentBody-16)
	}
	id, err := s.find(ctx)
	if err != nil {
		return err
	}
	if id != 0 {
		if _, _, err := s.Client.Issues.EditComment(ctx, s.Owner, s.Repo, id, &github.IssueComment{Body: github.String(body)}); err != nil {
			return fmt.Errorf("update sticky comment %d on #%d: %w", id, s.Number, classify(err))
		}
		return nil
	}
	if _, _, err := s.Client.Issues.CreateComment(ctx, s.Owner, s.Repo, s.Number, &github.IssueComment{Body: github.String(body)}); err != nil {
		return fmt.Errorf("create sticky comment on #%d: %w", s.Number, classify(err))
	}
	return nil
}

// find returns the ID of the first bot comment carrying the marker, or 0. Only
// bot comments count, so a person quoting the marker is never overwritten.
func (s *StickyComment) find(ctx context.Context) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := s.Client.Issues.ListComments(ctx, s.Owner, s.Repo, s.Number, opts)
		if err != nil {
			return 0, fmt.Errorf("list comments on #%d: %w", s.Number, classify(err))
		}
		for _, c := range comments {
			if c.GetUser().GetType() == "Bot" && strings.HasPrefix(c.GetBody(), s.marker()) {
				return c.GetID(), nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}
