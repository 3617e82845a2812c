package githubapp

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode"
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
	if !mayHoldCommand(body) {
		return false, "no command line"
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

// hasCommandLine reports whether some line starts with '/' after leading white
// space. It splits lines on \n and \r and trims unicode space, as chatops.Parse
// does, so it is a cheap superset of what that parser accepts.
func hasCommandLine(body string) bool {
	for body != "" {
		line := body
		if i := strings.IndexAny(body, "\r\n"); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = ""
		}
		if strings.HasPrefix(strings.TrimLeftFunc(line, unicode.IsSpace), "/") {
			return true
		}
	}
	return false
}

// mayHoldCommand scans the raw JSON, without decoding it, for a '/' that could
// start a line of some string value: one that follows the opening quote or an
// escaped line break, with only white space in between. Most comments have none.
// Then the delivery is dropped without a decode. The scan is conservative. A '/'
// written as \u002f, or one after any \u escape, always counts. A false match only
// costs the full decode that follows.
func mayHoldCommand(body []byte) bool {
	if bytes.Contains(body, []byte(`\u002f`)) || bytes.Contains(body, []byte(`\u002F`)) {
		return true
	}
	for i := bytes.IndexByte(body, '/'); i >= 0; {
		j := i
		if j > 0 && body[j-1] == '\\' { // the escaped form \/
			j--
		}
		if startsLine(body[:j]) {
			return true
		}
		next := bytes.IndexByte(body[i+1:], '/')
		if next < 0 {
			break
		}
		i += 1 + next
	}
	return false
}

// startsLine reports whether the JSON text before a '/' ends, after white space,
// at the start of a string, an escaped line break or any \u escape. Every
// non-ASCII byte counts as white space, because unicode spaces such as U+00A0 may
// come unescaped.
func startsLine(before []byte) bool {
	k := len(before)
	for k > 0 {
		switch {
		case before[k-1] == ' ' || before[k-1] == '\t' || before[k-1] >= 0x80:
			k--
		case k >= 2 && before[k-2] == '\\' && (before[k-1] == 't' || before[k-1] == 'f'):
			k -= 2
		default:
			goto done
		}
	}
done:
	if k == 0 {
		return true
	}
	switch c := before[k-1]; {
	case c == '"':
		return true
	case k >= 2 && before[k-2] == '\\' && (c == 'n' || c == 'r'):
		return true
	case k >= 6 && before[k-6] == '\\' && before[k-5] == 'u' && isHex(before[k-4:k]):
		return true
	}
	return false
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
