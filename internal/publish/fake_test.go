package publish

import (
	"net/http"
	"testing"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/ghclient"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
)

const (
	testToken = "test-token"
	// ghesPrefix makes every test exercise the GHES base-URL form of GITHUB_API_URL.
	ghesPrefix = "/api/v3"
)

// request is one call the fake received (path without the GHES prefix).
type request = ghfake.Request

// fakeGitHub is the test kit's route-table GitHub: routes are "METHOD /path"
// (path without the GHES prefix); any other request, or one without the
// test token, fails the test.
type fakeGitHub struct{ *ghfake.Routes }

// newFakeGitHub starts the fake and returns a real go-github client built the
// way the Action builds it from GITHUB_API_URL (GHES form, .../api/v3).
func newFakeGitHub(t *testing.T, routes map[string]http.HandlerFunc) (*fakeGitHub, *github.Client) {
	t.Helper()
	f := ghfake.NewRoutes(t, ghfake.RoutesOptions{Prefix: ghesPrefix, Auth: []string{"Bearer " + testToken}}, routes)
	client, err := ghclient.New(testToken, f.URL+ghesPrefix, f.Server.Client().Transport)
	if err != nil {
		t.Fatalf("ghclient.New: %v", err)
	}
	return &fakeGitHub{f}, client
}

func (f *fakeGitHub) requests() []request { return f.Requests() }

func writeJSON(w http.ResponseWriter, status int, v any) { ghfake.WriteJSON(w, status, v) }
