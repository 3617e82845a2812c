package rollout

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/chatops"
	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/gitsha"
	"github.com/promptgate/promptgate/internal/mdsafe"
	"github.com/promptgate/promptgate/internal/projection"
)

// Rule names, as refusals quote them. They match promptgate.yaml's keys.
const (
	RuleMinPermission = "rollout.min_permission"
	// RuleRead is the read permission `/rollout f status` needs.
	RuleRead          = "read permission"
	RuleTeams         = "rollout.teams"
	RuleSteps         = "rollout.steps"
	RuleRequireCheck  = "rollout.require_check"
	RuleFlagExists    = "flag exists"
	RuleMaxCommentAge = "rollout.max_comment_age"
	RuleComment       = "comment unchanged"
	RuleProtected     = "branch protection"
)

// Refusal says which rule refused a command and why.
type Refusal struct {
	Rule   string
	Reason string
}

// gate is what authorize learned: a refusal, or the go-ahead with the PR's
// projected cost for the flag when its check run published one.
type gate struct {
	refusal *Refusal
	cost    *costNote
}

// costNote is the check's projection for one command, for the reply.
type costNote struct {
	projection projection.Projection
	headSHA    string
}

// permitted refuses a command the commenter's role does not allow, before
// anything is read for it: help needs nothing, status needs read access to the
// repository, and every command that changes a flag needs
// rollout.min_permission.
func permitted(req Request, cfg *config.Config, role string, kind chatops.Kind) *Refusal {
	switch kind {
	case chatops.Help:
		return nil
	case chatops.Status:
		if !config.PermissionAtLeast(role, "read") {
			return &Refusal{RuleRead, fmt.Sprintf("%s has %s permission on %s; showing a flag's split needs `read`.",
				mdsafe.Code(req.Commenter), mdsafe.Code(role), mdsafe.Code(req.Owner+"/"+req.Repo))}
		}
		return nil
	}
	if r := cfg.Rollout; !config.PermissionAtLeast(role, r.MinPermission) {
		return minPermissionRefusal(req, role, r.MinPermission)
	}
	return nil
}

func minPermissionRefusal(req Request, role, need string) *Refusal {
	return &Refusal{RuleMinPermission, fmt.Sprintf("%s has %s permission on %s; rollout.min_permission is %s.",
		mdsafe.Code(req.Commenter), mdsafe.Code(role), mdsafe.Code(req.Owner+"/"+req.Repo), mdsafe.Code(need))}
}

// authorize applies the rules in the order SPEC lists them. A rollback is always
// an allowed step and does not need a passing check: backing out must stay possible.
func (s *Service) authorize(ctx context.Context, gh *github.Client, req Request, cfg *config.Config, role string, kind chatops.Kind, pct int) (gate, error) {
	r := cfg.Rollout
	if !config.PermissionAtLeast(role, r.MinPermission) {
		return gate{refusal: minPermissionRefusal(req, role, r.MinPermission)}, nil
	}
	if len(r.Teams) > 0 {
		in, err := inAnyTeam(ctx, gh, req, r.Teams)
		if err != nil {
			return gate{}, err
		}
		if !in {
			return gate{refusal: &Refusal{RuleTeams, fmt.Sprintf("%s is not an active member of %s.", mdsafe.Code(req.Commenter), teamList(req.Owner, r.Teams))}}, nil
		}
	}
	if kind == chatops.Rollout && !slices.Contains(r.Steps, pct) {
		return gate{refusal: &Refusal{RuleSteps, fmt.Sprintf("%d%% is not an allowed step; rollout.steps are %s.", pct, percents(r.Steps))}}, nil
	}

	run, head, err := checkRun(ctx, gh, req, r.CheckName)
	if err != nil {
		if r.RequireCheck && kind == chatops.Rollout {
			return gate{}, err
		}
		run = nil // the cost note is a courtesy; without the rule it must not block
	}
	var g gate
	if run != nil {
		if p, ok := projection.Extract(run.GetOutput().GetSummary()); ok {
			g.cost = &costNote{projection: p, headSHA: head}
		}
	}
	if r.RequireCheck && kind == chatops.Rollout {
		switch {
		case run == nil:
			g.refusal = &Refusal{RuleRequireCheck, fmt.Sprintf("there is no %s check run on the PR head %s.", mdsafe.Code(r.CheckName), short(head))}
		case run.GetStatus() != "completed":
			g.refusal = &Refusal{RuleRequireCheck, fmt.Sprintf("the %s check on %s is still %s.", mdsafe.Code(r.CheckName), short(head), mdsafe.Code(run.GetStatus()))}
		case run.GetConclusion() != "success":
			g.refusal = &Refusal{RuleRequireCheck, fmt.Sprintf("the %s check on %s concluded %s, not `success`.", mdsafe.Code(r.CheckName), short(head), mdsafe.Code(run.GetConclusion()))}
		}
	}
	return g, nil
}

// permission returns the commenter's role on the repo. It reads role_name, which
// tells maintain and triage apart, and falls back to the legacy permission field.
func permission(ctx context.Context, gh *github.Client, req Request) (string, error) {
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", req.Owner, req.Repo, req.Commenter)
	hr, err := gh.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("build permission request: %w", err)
	}
	var v struct {
		Permission string `json:"permission"`
		RoleName   string `json:"role_name"`
	}
	resp, err := gh.Do(ctx, hr, &v)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "none", nil // not a collaborator
	}
	if err != nil {
		return "", fmt.Errorf("get permission of @%s: %w", req.Commenter, err)
	}
	if slices.Contains(config.Permissions, v.RoleName) {
		return v.RoleName, nil
	}
	if slices.Contains(config.Permissions, v.Permission) {
		return v.Permission, nil
	}
	return "none", nil
}

// inAnyTeam reports whether the commenter is an active member of one of teams,
// each "org/slug" or a bare slug in the repo owner's org.
func inAnyTeam(ctx context.Context, gh *github.Client, req Request, teams []string) (bool, error) {
	for _, t := range teams {
		org, slug := splitTeam(req.Owner, t)
		m, resp, err := gh.Teams.GetTeamMembershipBySlug(ctx, org, slug, req.Commenter)
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("get membership of @%s in %s/%s: %w", req.Commenter, org, slug, err)
		}
		if m.GetState() == "active" {
			return true, nil
		}
	}
	return false, nil
}

// checkRun finds the PR head and the latest run of the named check on it (nil if none).
func checkRun(ctx context.Context, gh *github.Client, req Request, name string) (*github.CheckRun, string, error) {
	if m, ok := req.reads.checkRun(name); ok {
		return m.run, m.head, nil
	}
	run, head, err := readCheckRun(ctx, gh, req, name)
	if err == nil {
		req.reads.keepCheckRun(name, memoRun{run: run, head: head})
	}
	return run, head, err
}

func readCheckRun(ctx context.Context, gh *github.Client, req Request, name string) (*github.CheckRun, string, error) {
	pr, _, err := gh.PullRequests.Get(ctx, req.Owner, req.Repo, req.PR)
	if err != nil {
		return nil, "", fmt.Errorf("get PR #%d: %w", req.PR, err)
	}
	head := pr.GetHead().GetSHA()
	res, _, err := gh.Checks.ListCheckRunsForRef(ctx, req.Owner, req.Repo, head, &github.ListCheckRunsOptions{
		CheckName: &name, Filter: github.String("latest")})
	if err != nil {
		return nil, head, fmt.Errorf("list check runs on %s: %w", short(head), err)
	}
	for _, run := range res.CheckRuns {
		if run.GetName() == name {
			return run, head, nil
		}
	}
	return nil, head, nil
}

func splitTeam(owner, team string) (org, slug string) {
	team = strings.TrimPrefix(team, "@")
	if org, slug, ok := strings.Cut(team, "/"); ok {
		return org, slug
	}
	return owner, team
}

// teamList names teams as code spans, "org/slug" without the @, so that a
// refusal pings nobody.
func teamList(owner string, teams []string) string {
	names := make([]string, len(teams))
	for i, t := range teams {
		org, slug := splitTeam(owner, t)
		names[i] = org + "/" + slug
	}
	return codeList(names)
}

func percents(steps []int) string {
	s := make([]string, len(steps))
	for i, p := range steps {
		s[i] = strconv.Itoa(p) + "%"
	}
	return strings.Join(s, ", ")
}

// short is gitsha.Short, naming an unknown commit in replies.
func short(sha string) string {
	return cmp.Or(gitsha.Short(sha), "(unknown)")
}

var errNotFound = errors.New("not found")
