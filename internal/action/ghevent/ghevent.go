// Package ghevent reads the GitHub Actions event that started `promptgate check`
// and turns it into the two commits to compare. It understands pull_request (the
// main case), push and workflow_dispatch, and refuses pull_request_target, which
// would run a PR's code with a write token and the repository's secrets.
package ghevent

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v62/github"
)

// Event names promptgate check understands, as GITHUB_EVENT_NAME spells them.
const (
	PullRequest       = "pull_request"
	PullRequestTarget = "pull_request_target"
	Push              = "push"
	WorkflowDispatch  = "workflow_dispatch"
)

// DocsURL is where users read how promptgate picks base and head, and the safe
// workflow patterns for fork PRs.
const DocsURL = "https://github.com/promptgate/promptgate/blob/main/docs/change-detection.md"

// zeroSHA is what GitHub sends as `before` for a new ref and `after` for a deleted one.
const zeroSHA = "0000000000000000000000000000000000000000"

// maxPayload caps the event file: GitHub's own webhook payload limit is 25 MB.
const maxPayload = 25 << 20

var (
	// ErrNoEvent means GITHUB_EVENT_NAME or GITHUB_EVENT_PATH is unset: promptgate
	// is not running in GitHub Actions, so the caller should use --base and --head.
	ErrNoEvent = errors.New("not running in GitHub Actions (GITHUB_EVENT_NAME or GITHUB_EVENT_PATH is unset); pass --base and --head")
	// ErrPullRequestTarget is returned for the pull_request_target event.
	ErrPullRequestTarget = errors.New("promptgate check refuses to run on pull_request_target: " +
		"that event runs with a read/write GITHUB_TOKEN and the repository's secrets, so checking out and " +
		"evaluating the PR's prompts and config there would let any fork run its code with them (a \"pwn request\"). " +
		"Run promptgate check on pull_request with `permissions: {contents: read, checks: write}` instead; " +
		"fork PRs then get a read-only token and no secrets, and promptgate falls back to the job summary. " +
		"To post check runs for fork PRs, split the work with workflow_run. See " + DocsURL + "#why-not-pull_request_target")
	// ErrNothingToCheck means the event names no commit to evaluate (a deleted branch or tag).
	ErrNothingToCheck = errors.New("nothing to check")
)

// Event is what promptgate check needs from the triggering event.
type Event struct {
	// Name is GITHUB_EVENT_NAME; Action is the payload's action ("opened", "synchronize"…), if any.
	Name   string
	Action string
	// Owner and Repo name the repository the workflow runs in (Repo without the owner).
	Repo, Owner string
	// PR is the pull request number, 0 for other events.
	PR int
	// BaseSHA and HeadSHA are the commits to compare. Either is "" when only a
	// branch is known: a new branch is compared with BaseRef (the default
	// branch), and workflow_dispatch inputs may name branches. The caller then
	// resolves that ref on the remote.
	BaseSHA, HeadSHA string
	// BaseRef and HeadRef are branch or tag names without refs/heads/ or refs/tags/.
	BaseRef, HeadRef string
	// Fork reports a PR whose head lives in another repository: its token is
	// read-only and it gets no secrets. HeadRepo names that repository
	// ("owner/repo", "" when the fork was deleted).
	Fork     bool
	HeadRepo string
	// Sender is the login of the user who triggered the event.
	Sender        string
	DefaultBranch string
	// Notes explain choices the user should know about, such as comparing a new
	// branch against the default branch. The check shows them in its summary.
	Notes []string
}

// FullName returns "owner/repo".
func (e Event) FullName() string { return e.Owner + "/" + e.Repo }

// Read reads the event from GITHUB_EVENT_NAME and the JSON file GITHUB_EVENT_PATH
// names, through getenv and readFile so tests can drive it. It falls back to
// GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF_NAME and GITHUB_ACTOR where the
// payload lacks a value.
func Read(getenv func(string) string, readFile func(string) ([]byte, error)) (Event, error) {
	name, path := getenv("GITHUB_EVENT_NAME"), getenv("GITHUB_EVENT_PATH")
	if name == PullRequestTarget {
		return Event{Name: name}, ErrPullRequestTarget
	}
	if name == "" || path == "" {
		return Event{Name: name}, ErrNoEvent
	}
	data, err := readFile(path)
	if err != nil {
		return Event{Name: name}, fmt.Errorf("read %s event from %s: %w", name, path, err)
	}
	if len(data) > maxPayload {
		return Event{Name: name}, fmt.Errorf("read %s event from %s: payload is larger than %d bytes", name, path, maxPayload)
	}
	e, err := Parse(name, data, getenv)
	if err != nil {
		return e, fmt.Errorf("read %s event from %s: %w", name, path, err)
	}
	return e, nil
}

// Parse turns one event payload into an Event. getenv supplies the GITHUB_*
// fallbacks; it may return "" for everything.
func Parse(name string, payload []byte, getenv func(string) string) (Event, error) {
	var (
		e   Event
		err error
	)
	switch name {
	case PullRequest:
		e, err = parsePullRequest(payload)
	case PullRequestTarget:
		return Event{Name: name}, ErrPullRequestTarget
	case Push:
		e, err = parsePush(payload, getenv)
	case WorkflowDispatch:
		e, err = parseDispatch(payload, getenv)
	default:
		return Event{Name: name}, fmt.Errorf("unsupported event %q: promptgate check runs on pull_request, push and workflow_dispatch (see %s)", name, DocsURL)
	}
	e.Name = name
	if err != nil {
		return e, err
	}
	fillFromEnv(&e, getenv)
	if e.Owner == "" || e.Repo == "" {
		return e, errors.New("the payload names no repository and GITHUB_REPOSITORY is unset")
	}
	return e, nil
}

func parsePullRequest(payload []byte) (Event, error) {
	var ev github.PullRequestEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, fmt.Errorf("decode pull_request payload: %w", err)
	}
	pr := ev.GetPullRequest()
	if pr == nil {
		return Event{}, errors.New("pull_request payload has no pull_request object")
	}
	e := Event{
		Action:  ev.GetAction(),
		PR:      pr.GetNumber(),
		BaseSHA: pr.GetBase().GetSHA(),
		HeadSHA: pr.GetHead().GetSHA(),
		BaseRef: pr.GetBase().GetRef(),
		HeadRef: pr.GetHead().GetRef(),
		Sender:  ev.GetSender().GetLogin(),
	}
	if e.PR == 0 {
		e.PR = ev.GetNumber()
	}
	setRepo(&e, ev.GetRepo().GetFullName(), ev.GetRepo().GetDefaultBranch())
	if e.Owner == "" {
		setRepo(&e, pr.GetBase().GetRepo().GetFullName(), pr.GetBase().GetRepo().GetDefaultBranch())
	}
	// A deleted fork has no head repo; it certainly is not the base repo.
	headRepo, baseRepo := pr.GetHead().GetRepo().GetFullName(), pr.GetBase().GetRepo().GetFullName()
	e.Fork = headRepo == "" || !strings.EqualFold(headRepo, baseRepo)
	e.HeadRepo = headRepo
	if err := checkSHA("pull_request.base.sha", e.BaseSHA); err != nil {
		return e, err
	}
	if err := checkSHA("pull_request.head.sha", e.HeadSHA); err != nil {
		return e, err
	}
	return e, nil
}

func parsePush(payload []byte, getenv func(string) string) (Event, error) {
	var ev github.PushEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, fmt.Errorf("decode push payload: %w", err)
	}
	e := Event{
		BaseSHA: ev.GetBefore(),
		HeadSHA: ev.GetAfter(),
		HeadRef: shortRef(ev.GetRef()),
		Sender:  ev.GetSender().GetLogin(),
	}
	setRepo(&e, ev.GetRepo().GetFullName(), ev.GetRepo().GetDefaultBranch())
	if e.DefaultBranch == "" {
		e.DefaultBranch = ev.GetRepo().GetMasterBranch()
	}
	if e.HeadSHA == "" {
		e.HeadSHA = getenv("GITHUB_SHA")
	}
	if ev.GetDeleted() || e.HeadSHA == zeroSHA {
		return e, fmt.Errorf("push deleted %s: %w", ev.GetRef(), ErrNothingToCheck)
	}
	if err := checkSHA("after", e.HeadSHA); err != nil {
		return e, err
	}
	if e.BaseSHA == "" || e.BaseSHA == zeroSHA {
		if e.DefaultBranch == "" {
			return e, fmt.Errorf("push created %s and the payload names no default branch to compare with: %w", ev.GetRef(), ErrNothingToCheck)
		}
		e.BaseSHA, e.BaseRef = "", e.DefaultBranch
		e.Notes = append(e.Notes, fmt.Sprintf("%s is a new branch with no previous commit in this push; comparing it against the default branch %s.", e.HeadRef, e.DefaultBranch))
		return e, nil
	}
	e.BaseRef = e.HeadRef
	return e, checkSHA("before", e.BaseSHA)
}

func parseDispatch(payload []byte, getenv func(string) string) (Event, error) {
	var ev github.WorkflowDispatchEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Event{}, fmt.Errorf("decode workflow_dispatch payload: %w", err)
	}
	e := Event{Sender: ev.GetSender().GetLogin(), HeadRef: shortRef(ev.GetRef())}
	setRepo(&e, ev.GetRepo().GetFullName(), ev.GetRepo().GetDefaultBranch())
	inputs := map[string]any{}
	if len(ev.Inputs) > 0 && string(ev.Inputs) != "null" {
		if err := json.Unmarshal(ev.Inputs, &inputs); err != nil {
			return e, fmt.Errorf("decode workflow_dispatch inputs: %w", err)
		}
	}
	base, head := stringInput(inputs, "base"), stringInput(inputs, "head")
	switch {
	case head == "":
		e.HeadSHA = getenv("GITHUB_SHA")
		if err := checkSHA("GITHUB_SHA", e.HeadSHA); err != nil {
			return e, fmt.Errorf("no head input: %w", err)
		}
	case isSHA(head):
		e.HeadSHA = head
	default:
		e.HeadSHA, e.HeadRef = "", head
	}
	switch {
	case base == "" && e.DefaultBranch == "":
		return e, errors.New("no base input and the payload names no default branch; set the workflow's `base` input")
	case base == "":
		e.BaseRef = e.DefaultBranch
		e.Notes = append(e.Notes, fmt.Sprintf("No base input was given; comparing against the default branch %s.", e.DefaultBranch))
	case isSHA(base):
		e.BaseSHA = base
	default:
		e.BaseRef = base
	}
	for _, ref := range []string{e.BaseRef, e.HeadRef} {
		if strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, " \t\n\x00~^:?*[\\") {
			return e, fmt.Errorf("input %q is not a valid branch, tag or commit SHA", ref)
		}
	}
	return e, nil
}

// stringInput returns a workflow_dispatch input as a trimmed string. GitHub sends
// strings, but newer payloads may carry booleans and numbers for typed inputs.
func stringInput(inputs map[string]any, key string) string {
	switch v := inputs[key].(type) {
	case string:
		return strings.TrimSpace(v)
	case nil:
		return ""
	default:
		return strings.TrimSpace(fmt.Sprint(v))
	}
}

func setRepo(e *Event, fullName, defaultBranch string) {
	if owner, repo, ok := strings.Cut(fullName, "/"); ok && owner != "" && repo != "" {
		e.Owner, e.Repo = owner, repo
	}
	if defaultBranch != "" {
		e.DefaultBranch = defaultBranch
	}
}

func fillFromEnv(e *Event, getenv func(string) string) {
	if e.Owner == "" {
		setRepo(e, getenv("GITHUB_REPOSITORY"), "")
	}
	if e.Sender == "" {
		e.Sender = getenv("GITHUB_ACTOR")
	}
	if e.HeadRef == "" && e.HeadSHA != "" {
		e.HeadRef = getenv("GITHUB_REF_NAME")
	}
}

func shortRef(ref string) string {
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		if s, ok := strings.CutPrefix(ref, prefix); ok {
			return s
		}
	}
	return ref
}

func checkSHA(field, sha string) error {
	if !isSHA(sha) {
		return fmt.Errorf("%s %q is not a commit SHA", field, sha)
	}
	return nil
}

// isSHA reports whether s is a full SHA-1 or SHA-256 object name in lower-case hex.
func isSHA(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
