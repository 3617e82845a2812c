package ghevent

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	prBase   = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"
	prHead   = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	pushHead = "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
	otherSHA = "0123456789abcdef0123456789abcdef01234567"
)

// payload reads a recorded payload and applies edits to its decoded JSON, so a
// variant (a fork PR, a push with a real `before`) stays a real payload with one
// field changed.
func payload(t *testing.T, file string, edits ...func(m map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "events", file))
	if err != nil {
		t.Fatal(err)
	}
	if len(edits) == 0 {
		return data
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, edit := range edits {
		edit(m)
	}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// set assigns value at a dotted path inside a decoded JSON object.
func set(path string, value any) func(map[string]any) {
	return func(m map[string]any) {
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = value
	}
}

func del(key string) func(map[string]any) {
	return func(m map[string]any) { delete(m, key) }
}

func TestRead(t *testing.T) {
	t.Parallel()
	prEvent := Event{
		Name: "pull_request", Action: "opened", Repo: "Hello-World", Owner: "Codertocat", PR: 2,
		BaseSHA: prBase, HeadSHA: prHead, BaseRef: "master", HeadRef: "changes",
		Sender: "Codertocat", DefaultBranch: "master", HeadRepo: "Codertocat/Hello-World",
	}
	with := func(e Event, edit func(*Event)) Event { edit(&e); return e }

	tests := []struct {
		name    string
		event   string
		payload []byte
		env     map[string]string
		want    Event
		wantErr string
		wantIs  error
	}{
		{
			name: "pull_request opened", event: "pull_request",
			payload: payload(t, "pull_request.opened.json"), want: prEvent,
		},
		{
			name: "pull_request from a fork", event: "pull_request",
			payload: payload(t, "pull_request.opened.json", set("pull_request.head.repo.full_name", "mallory/Hello-World")),
			want:    with(prEvent, func(e *Event) { e.Fork, e.HeadRepo = true, "mallory/Hello-World" }),
		},
		{
			name: "pull_request from a deleted fork", event: "pull_request",
			payload: payload(t, "pull_request.opened.json", set("pull_request.head.repo", nil)),
			want:    with(prEvent, func(e *Event) { e.Fork, e.HeadRepo = true, "" }),
		},
		{
			name: "repository owner case does not make a fork", event: "pull_request",
			payload: payload(t, "pull_request.opened.json", set("pull_request.head.repo.full_name", "codertocat/hello-world")),
			want:    with(prEvent, func(e *Event) { e.HeadRepo = "codertocat/hello-world" }),
		},
		{
			name: "pull_request with an option for a SHA", event: "pull_request",
			payload: payload(t, "pull_request.opened.json", set("pull_request.base.sha", "--upload-pack=touch /tmp/x")),
			wantErr: "pull_request.base.sha",
		},
		{
			name: "pull_request without pull_request", event: "pull_request",
			payload: payload(t, "pull_request.opened.json", del("pull_request")),
			wantErr: "no pull_request object",
		},
		{
			name: "pull_request_target is refused", event: "pull_request_target",
			payload: payload(t, "pull_request.opened.json"),
			wantIs:  ErrPullRequestTarget, wantErr: "pwn request",
		},
		{
			name: "push to an existing branch", event: "push",
			payload: payload(t, "push.new-branch.json", set("before", otherSHA), set("created", false)),
			want: Event{
				Name: "push", Repo: "Hello-World", Owner: "Codertocat", BaseSHA: otherSHA, HeadSHA: pushHead,
				BaseRef: "master", HeadRef: "master", Sender: "Codertocat", DefaultBranch: "master",
			},
		},
		{
			name: "push of a new branch compares with the default branch", event: "push",
			payload: payload(t, "push.new-branch.json", set("ref", "refs/heads/feature")),
			want: Event{
				Name: "push", Repo: "Hello-World", Owner: "Codertocat", HeadSHA: pushHead,
				BaseRef: "master", HeadRef: "feature", Sender: "Codertocat", DefaultBranch: "master",
				Notes: []string{"feature is a new branch with no previous commit in this push; comparing it against the default branch master."},
			},
		},
		{
			name: "push deleting a tag", event: "push",
			payload: payload(t, "push.delete-tag.json"),
			wantIs:  ErrNothingToCheck, wantErr: "refs/tags/simple-tag",
		},
		{
			name: "workflow_dispatch without inputs", event: "workflow_dispatch",
			payload: payload(t, "workflow_dispatch.json"), env: map[string]string{"GITHUB_SHA": otherSHA},
			want: Event{
				Name: "workflow_dispatch", Repo: "octo-repo", Owner: "octo-org", HeadSHA: otherSHA,
				BaseRef: "master", HeadRef: "master", Sender: "Codertocat", DefaultBranch: "master",
				Notes: []string{"No base input was given; comparing against the default branch master."},
			},
		},
		{
			name: "workflow_dispatch with SHA inputs", event: "workflow_dispatch",
			payload: payload(t, "workflow_dispatch.json", set("inputs", map[string]any{"base": prBase, "head": " " + prHead + "\n"})),
			want: Event{
				Name: "workflow_dispatch", Repo: "octo-repo", Owner: "octo-org", BaseSHA: prBase, HeadSHA: prHead,
				HeadRef: "master", Sender: "Codertocat", DefaultBranch: "master",
			},
		},
		{
			name: "workflow_dispatch with branch inputs", event: "workflow_dispatch",
			payload: payload(t, "workflow_dispatch.json", set("inputs", map[string]any{"base": "release/1.2", "head": "feature"})),
			want: Event{
				Name: "workflow_dispatch", Repo: "octo-repo", Owner: "octo-org",
				BaseRef: "release/1.2", HeadRef: "feature", Sender: "Codertocat", DefaultBranch: "master",
			},
		},
		{
			name: "workflow_dispatch base that git would read as an option", event: "workflow_dispatch",
			payload: payload(t, "workflow_dispatch.json", set("inputs", map[string]any{"base": "--output=/etc/passwd"})),
			env:     map[string]string{"GITHUB_SHA": otherSHA}, wantErr: "not a valid branch",
		},
		{
			name: "workflow_dispatch without GITHUB_SHA", event: "workflow_dispatch",
			payload: payload(t, "workflow_dispatch.json"), wantErr: "GITHUB_SHA",
		},
		{
			name: "repository from GITHUB_REPOSITORY", event: "push",
			payload: payload(t, "push.new-branch.json", del("repository"), del("sender"), set("before", otherSHA)),
			env:     map[string]string{"GITHUB_REPOSITORY": "acme/prompts", "GITHUB_ACTOR": "octo"},
			want: Event{
				Name: "push", Repo: "prompts", Owner: "acme", BaseSHA: otherSHA, HeadSHA: pushHead,
				BaseRef: "master", HeadRef: "master", Sender: "octo",
			},
		},
		{
			name: "no repository anywhere", event: "push",
			payload: payload(t, "push.new-branch.json", del("repository"), set("before", otherSHA)),
			wantErr: "GITHUB_REPOSITORY is unset",
		},
		{name: "unsupported event", event: "issues", payload: []byte(`{}`), wantErr: `unsupported event "issues"`},
		{name: "malformed payload", event: "pull_request", payload: []byte(`{"pull_request": [`), wantErr: "decode pull_request payload"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"GITHUB_EVENT_NAME": tc.event, "GITHUB_EVENT_PATH": "/github/workflow/event.json"}
			for k, v := range tc.env {
				env[k] = v
			}
			readFile := func(name string) ([]byte, error) {
				if name != "/github/workflow/event.json" {
					t.Errorf("read %q, want GITHUB_EVENT_PATH", name)
				}
				return tc.payload, nil
			}
			got, err := Read(func(k string) string { return env[k] }, readFile)
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Fatalf("error %v, want errors.Is %v", err, tc.wantIs)
			}
			checkErr(t, err, tc.wantErr)
			if err != nil {
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadEnvironment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		readErr error
		wantIs  error
		wantErr string
	}{
		{name: "not in Actions", env: map[string]string{}, wantIs: ErrNoEvent, wantErr: "pass --base and --head"},
		{name: "name without path", env: map[string]string{"GITHUB_EVENT_NAME": "push"}, wantIs: ErrNoEvent, wantErr: "GITHUB_EVENT_PATH"},
		{
			name:   "pull_request_target refused before reading anything",
			env:    map[string]string{"GITHUB_EVENT_NAME": "pull_request_target"},
			wantIs: ErrPullRequestTarget, wantErr: "workflow_run",
		},
		{
			name:    "unreadable event file",
			env:     map[string]string{"GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nope.json"},
			readErr: fs.ErrNotExist, wantIs: fs.ErrNotExist, wantErr: "read push event from /nope.json",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			readFile := func(string) ([]byte, error) {
				if tc.readErr == nil {
					t.Error("readFile called")
				}
				return nil, tc.readErr
			}
			_, err := Read(func(k string) string { return tc.env[k] }, readFile)
			if !errors.Is(err, tc.wantIs) {
				t.Fatalf("error %v, want errors.Is %v", err, tc.wantIs)
			}
			checkErr(t, err, tc.wantErr)
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
