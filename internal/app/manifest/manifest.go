// Package manifest registers promptgate's GitHub App with GitHub's manifest flow:
// it builds the App manifest (the least permissions `promptgate serve` needs),
// serves the one-page flow on loopback, and exchanges GitHub's temporary code for
// the App's ID, private key and webhook secret.
package manifest

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Manifest is a GitHub App manifest, in the JSON shape GitHub's
// /settings/apps/new form takes.
type Manifest struct {
	Name               string            `json:"name"`
	URL                string            `json:"url"`
	Description        string            `json:"description,omitempty"`
	Public             bool              `json:"public"`
	HookAttributes     HookAttributes    `json:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url,omitempty"`
	DefaultPermissions map[string]string `json:"default_permissions"`
	DefaultEvents      []string          `json:"default_events"`
}

// HookAttributes is where GitHub delivers the App's webhooks.
type HookAttributes struct {
	URL    string `json:"url"`
	Active bool   `json:"active"`
}

// Options are what a user chooses about their App; everything else is fixed by
// what `promptgate serve` needs.
type Options struct {
	// Name is the App's name on GitHub (GitHub lets the user edit it on the form).
	Name string
	// WebhookURL is the public HTTPS address of serve's POST /webhook.
	WebhookURL string
	// RedirectURL is where GitHub sends the browser back with the code.
	RedirectURL string
	// Teams adds the members:read permission that rollout.teams needs.
	Teams bool
	// Public lets other accounts install the App.
	Public bool
}

// Permissions are the least the App needs; app.yml at the repository root
// shows the same list with a reason per line (a test keeps the two equal).
func Permissions(teams bool) map[string]string {
	p := map[string]string{
		"contents":      "write", // read promptgate.yaml and the flags file, commit the new split
		"issues":        "write", // reply on the PR (PR comments are issue comments)
		"pull_requests": "read",  // the PR's head SHA
		"checks":        "read",  // the promptgate check run: conclusion and cost projection
		"metadata":      "read",  // mandatory for every App
	}
	if teams {
		p["members"] = "read" // rollout.teams: team membership
	}
	return p
}

// Events are the webhook events the App subscribes to: push lets online
// evaluation read promptgate.yaml again after a push to the default branch.
func Events() []string { return []string{"issue_comment", "check_run", "push"} }

// New builds the manifest for opts, checking that the URLs are usable.
func New(opts Options) (Manifest, error) {
	if opts.Name == "" {
		opts.Name = "promptgate"
	}
	hook, err := url.Parse(opts.WebhookURL)
	if opts.WebhookURL == "" || err != nil || hook.Host == "" || (hook.Scheme != "https" && hook.Scheme != "http") {
		return Manifest{}, fmt.Errorf("--webhook-url %q: want the public address of serve's webhook, such as https://promptgate.example.com/webhook", opts.WebhookURL)
	}
	if hook.Scheme != "https" && !isLoopback(hook.Hostname()) {
		return Manifest{}, fmt.Errorf("--webhook-url %q: GitHub delivers webhooks with the secret's signature over the network; use https", opts.WebhookURL)
	}
	return Manifest{
		Name:               opts.Name,
		URL:                "https://github.com/promptgate/promptgate",
		Description:        "Gate LLM prompt changes in pull requests, and roll prompt variants out with /rollout and /rollback comments that commit to an OpenFeature flagd flag file.",
		Public:             opts.Public,
		HookAttributes:     HookAttributes{URL: opts.WebhookURL, Active: true},
		RedirectURL:        opts.RedirectURL,
		DefaultPermissions: Permissions(opts.Teams),
		DefaultEvents:      Events(),
	}, nil
}

// JSON is the manifest as GitHub's form field takes it, indented for people.
func (m Manifest) JSON() string {
	b, _ := json.MarshalIndent(m, "", "  ") // a struct of strings, bools and maps cannot fail
	return string(b)
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "::1" || strings.HasPrefix(host, "127.")
}
