package manifest

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v62/github"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
	"gopkg.in/yaml.v3"
)

// TestAppYAMLMatchesManifest keeps the documented app.yml and the manifest the
// flow sends in step: the same permissions and the same events.
func TestAppYAMLMatchesManifest(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "app.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Permissions map[string]string `yaml:"default_permissions"`
		Events      []string          `yaml:"default_events"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(Permissions(false), doc.Permissions); d != "" {
		t.Errorf("app.yml permissions differ from the manifest's (-manifest +app.yml):\n%s", d)
	}
	if d := cmp.Diff(Events(), doc.Events); d != "" {
		t.Errorf("app.yml events differ from the manifest's (-manifest +app.yml):\n%s", d)
	}
}

func TestNewChecksWebhookURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://promptgate.example.com/webhook", ""},
		{"http://127.0.0.1:8080/webhook", ""},
		{"", "--webhook-url"},
		{"promptgate.example.com/webhook", "--webhook-url"},
		{"http://promptgate.example.com/webhook", "use https"},
		{"ftp://x/webhook", "--webhook-url"},
	}
	for _, tt := range tests {
		m, err := New(Options{WebhookURL: tt.url, Teams: true})
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("New(%q): %v", tt.url, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("New(%q) error = %v, want one naming %q", tt.url, err, tt.wantErr)
		case err == nil && (m.HookAttributes.URL != tt.url || m.DefaultPermissions["members"] != "read" || m.Name != "promptgate"):
			t.Errorf("New(%q) = %+v", tt.url, m)
		}
	}
}

// fakeGitHub is the module's GitHub fake holding one manifest code, a1b2c3,
// that registers the App promptgate-acme.
func fakeGitHub(t *testing.T) *ghfake.Server {
	t.Helper()
	gh := ghfake.New(t)
	gh.ManifestCodes = map[string]*github.AppConfig{"a1b2c3": {
		ID: github.Int64(424242), Slug: github.String("promptgate-acme"), Name: github.String("promptgate-acme"),
		HTMLURL: github.String("https://github.com/apps/promptgate-acme"), ClientID: github.String("Iv1.abc"),
		ClientSecret: github.String("cs-1"), WebhookSecret: github.String("whsec-1"),
		PEM: github.String("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n"),
	}}
	return gh
}

func TestFlowRegistersAndWritesCredentials(t *testing.T) {
	t.Parallel()
	gh := fakeGitHub(t)
	dir := t.TempDir()
	m, err := New(Options{WebhookURL: "https://promptgate.example.com/webhook", RedirectURL: "http://127.0.0.1:1/callback"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := NewFlow(m, FlowOptions{GitHubURL: "https://github.com", Org: "acme", Client: gh.Client(), OutDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()

	// The page posts the manifest to the organisation's new-App form with a state.
	page := get(t, srv.URL+"/", http.StatusOK)
	action := regexp.MustCompile(`<form action="([^"]+)" method="post">`).FindStringSubmatch(page)
	if action == nil {
		t.Fatalf("no form in the page:\n%s", page)
	}
	u, err := url.Parse(strings.ReplaceAll(action[1], "&amp;", "&"))
	if err != nil || u.Host != "github.com" || u.Path != "/organizations/acme/settings/apps/new" {
		t.Fatalf("form action = %q", action[1])
	}
	state := u.Query().Get("state")
	if len(state) != 32 {
		t.Fatalf("state = %q, want 32 hex characters", state)
	}
	field := regexp.MustCompile(`name="manifest" value="([^"]+)"`).FindStringSubmatch(page)
	if field == nil {
		t.Fatal("no manifest field")
	}
	var sent Manifest
	if err := json.Unmarshal([]byte(html.UnescapeString(field[1])), &sent); err != nil {
		t.Fatalf("manifest field is not JSON: %v", err)
	}
	if d := cmp.Diff(m, sent); d != "" {
		t.Errorf("manifest sent (-want +got):\n%s", d)
	}

	// A callback with another state is refused without calling GitHub.
	get(t, srv.URL+"/callback?code=a1b2c3&state=forged", http.StatusBadRequest)
	get(t, srv.URL+"/callback?code=../../user&state="+state, http.StatusBadRequest)
	if c := gh.Calls(); len(c) != 0 {
		t.Fatalf("GitHub called before a valid callback: %q", c)
	}

	done := get(t, srv.URL+"/callback?code=a1b2c3&state="+state, http.StatusOK)
	if !strings.Contains(done, "App ID 424242") || !strings.Contains(done, "https://github.com/apps/promptgate-acme/installations/new") {
		t.Errorf("done page:\n%s", done)
	}
	creds := <-f.Done()
	if creds.ID != 424242 || creds.WebhookSecret != "whsec-1" {
		t.Errorf("credentials = %+v", creds)
	}
	for name, want := range map[string]string{PrivateKeyFile: creds.PEM, WebhookSecretFile: "whsec-1"} {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v", name, b, err)
		}
	}
	for _, name := range []string{CredentialsFile, PrivateKeyFile, WebhookSecretFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode = %v, want 0600", name, st.Mode().Perm())
		}
	}
	// A replayed callback registers nothing more.
	get(t, srv.URL+"/callback?code=a1b2c3&state="+state, http.StatusGone)
	if d := cmp.Diff([]string{"POST /app-manifests/a1b2c3/conversions"}, gh.Calls()); d != "" {
		t.Errorf("GitHub calls (-want +got):\n%s", d)
	}
	// A second flow into the same folder refuses to start.
	if _, err := NewFlow(m, FlowOptions{GitHubURL: "https://github.com", Client: gh.Client(), OutDir: dir}); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second flow: %v, want already exists", err)
	}
}

func get(t *testing.T, u string, want int) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("GET %s = %d, want %d: %s", u, resp.StatusCode, want, b)
	}
	return string(b)
}
