package githubapp

import (
	"encoding/json"
	"strings"
)

// commentProbe is the handful of issue_comment fields the request path needs.
// Decoding into it skips everything else, which keeps the hot path as cheap as a
// plain HMAC-and-decode handler.
type commentProbe struct {
	Action string `json:"action"`
	Issue  struct {
		PullRequest *struct{} `json:"pull_request"`
	} `json:"issue"`
	Comment struct {
		Body string `json:"body"`
		User struct {
			Login string `json:"login"`
			Type  string `json:"type"`
		} `json:"user"`
	} `json:"comment"`
}

// wanted is the webhook.Filter: it keeps only deliveries that can hold a command,
// so ordinary comments, other events and pings are acknowledged and dropped
// before they take a worker.
func wanted(event string, body []byte) (bool, string) {
	if event != "issue_comment" {
		return false, "event not handled"
	}
	var p commentProbe
	if err := json.Unmarshal(body, &p); err != nil {
		return false, "payload is not issue_comment JSON"
	}
	switch {
	case p.Action != "created":
		return false, "action " + p.Action
	case p.Issue.PullRequest == nil:
		return false, "comment on an issue, not a pull request"
	case isBot(p.Comment.User.Type, p.Comment.User.Login):
		return false, "comment by a bot"
	case !hasCommandLine(p.Comment.Body):
		return false, "no command line"
	}
	return true, ""
}

// hasCommandLine reports whether some line starts with '/' (after indentation).
// It is a cheap superset of what chatops.Parse accepts.
func hasCommandLine(body string) bool {
	for line := range strings.Lines(body) {
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "/") {
			return true
		}
	}
	return false
}
