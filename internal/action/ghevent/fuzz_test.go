package ghevent

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "events", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no recorded payloads: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range []string{PullRequest, PullRequestTarget, Push, WorkflowDispatch} {
			f.Add(name, data)
		}
	}
	f.Fuzz(func(t *testing.T, name string, payload []byte) {
		env := map[string]string{"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": "event.json", "GITHUB_SHA": otherSHA}
		e, err := Read(func(k string) string { return env[k] }, func(string) ([]byte, error) { return payload, nil })
		if name == PullRequestTarget && !errors.Is(err, ErrPullRequestTarget) {
			t.Fatalf("pull_request_target accepted: %+v, %v", e, err)
		}
		if err != nil {
			return
		}
		if e.Owner == "" || e.Repo == "" {
			t.Fatalf("no repository in %+v", e)
		}
		// Whatever reaches git must be a SHA or a ref that cannot pass for an option.
		for _, sha := range []string{e.BaseSHA, e.HeadSHA} {
			if sha != "" && !isSHA(sha) {
				t.Fatalf("SHA %q accepted", sha)
			}
		}
		if (e.BaseSHA == "" && e.BaseRef == "") || (e.HeadSHA == "" && e.HeadRef == "") {
			t.Fatalf("a side is unnamed: %+v", e)
		}
		if e.Name == WorkflowDispatch || e.BaseSHA == "" {
			for _, ref := range []string{e.BaseRef, e.HeadRef} {
				if len(ref) > 0 && ref[0] == '-' {
					t.Fatalf("option-like ref %q accepted", ref)
				}
			}
		}
	})
}
