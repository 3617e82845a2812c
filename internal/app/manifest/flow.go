package manifest

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"
)

// Credentials are what GitHub hands back for a registered App. They are written
// to files readable by their owner only (0600).
type Credentials struct {
	ID            int64  `json:"id"`
	Slug          string `json:"slug"`
	Name          string `json:"name"`
	HTMLURL       string `json:"html_url"`
	ClientID      string `json:"client_id"`
	ClientSecret  string `json:"client_secret"`
	WebhookSecret string `json:"webhook_secret"`
	PEM           string `json:"pem"`
}

// Files a successful flow writes into its output folder.
const (
	CredentialsFile   = "promptgate-app.json"
	PrivateKeyFile    = "private-key.pem"
	WebhookSecretFile = "webhook-secret"
)

// Flow is one run of the manifest flow: a page that posts the manifest to
// GitHub, and the callback that exchanges GitHub's code for the credentials.
type Flow struct {
	manifest  Manifest
	newAppURL string
	client    *github.Client
	outDir    string
	state     string

	mu       sync.Mutex
	finished bool
	done     chan Credentials
}

// FlowOptions say where GitHub is and where the credentials go.
type FlowOptions struct {
	// GitHubURL is the web root: https://github.com, or https://HOST on GHES.
	GitHubURL string
	// Org registers the App under an organisation instead of the user.
	Org string
	// Client exchanges the code (its BaseURL is the REST API root).
	Client *github.Client
	// OutDir receives the credential files; none of them may exist yet.
	OutDir string
}

// NewFlow prepares a flow for m. It refuses to start when a credential file
// already exists, so a second run never overwrites a registered App's key.
func NewFlow(m Manifest, o FlowOptions) (*Flow, error) {
	web, err := url.Parse(strings.TrimRight(o.GitHubURL, "/"))
	if err != nil || web.Host == "" {
		return nil, fmt.Errorf("--github-url %q: want the web address, such as https://github.com", o.GitHubURL)
	}
	if o.Org != "" {
		if !orgName.MatchString(o.Org) {
			return nil, fmt.Errorf("--org %q: not an organisation login", o.Org)
		}
		web.Path += "/organizations/" + o.Org + "/settings/apps/new"
	} else {
		web.Path += "/settings/apps/new"
	}
	for _, name := range []string{CredentialsFile, PrivateKeyFile, WebhookSecretFile} {
		p := filepath.Join(o.OutDir, name)
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s already exists: move it away first (this flow never overwrites an App's credentials)", p)
		}
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		return nil, fmt.Errorf("make state: %w", err)
	}
	state := hex.EncodeToString(buf)
	q := url.Values{"state": {state}}
	web.RawQuery = q.Encode()
	return &Flow{manifest: m, newAppURL: web.String(), client: o.Client, outDir: o.OutDir, state: state, done: make(chan Credentials, 1)}, nil
}

// Done delivers the credentials once GitHub's code has been exchanged.
func (f *Flow) Done() <-chan Credentials { return f.done }

var (
	orgName = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	// GitHub's codes are short hex-like tokens; anything else never reaches a URL path.
	codeShape = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

var startPage = template.Must(template.New("start").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Register promptgate's GitHub App</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto">
<h1>Register the {{.Name}} GitHub App</h1>
<p>This sends the manifest below to GitHub. GitHub asks you to confirm the App's name and
then sends you back here, and promptgate saves the App's ID, private key and webhook secret
to files only you can read.</p>
<form action="{{.Action}}" method="post">
<input type="hidden" name="manifest" value="{{.JSON}}">
<p><button type="submit">Register on GitHub</button></p>
</form>
<details><summary>The manifest</summary><pre>{{.JSON}}</pre></details>
</body></html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>promptgate App registered</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 46rem; margin: 3rem auto">
<h1>Registered {{.Name}}</h1>
<p>App ID {{.ID}}. The credentials are in {{.Dir}} (mode 0600). Next, install the App on
your repositories: <a href="{{.Install}}">{{.Install}}</a>. You can close this tab.</p>
</body></html>
`))

// Handler serves the start page at / and GitHub's redirect at /callback.
func (f *Flow) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; form-action "+formOrigin(f.newAppURL))
		_ = startPage.Execute(w, map[string]string{"Name": f.manifest.Name, "Action": f.newAppURL, "JSON": f.manifest.JSON()})
	})
	mux.HandleFunc("GET /callback", f.callback)
	return mux
}

func (f *Flow) callback(w http.ResponseWriter, r *http.Request) {
	code, state := r.URL.Query().Get("code"), r.URL.Query().Get("state")
	if subtle.ConstantTimeCompare([]byte(state), []byte(f.state)) != 1 {
		http.Error(w, "state does not match this flow: start again from the page promptgate printed", http.StatusBadRequest)
		return
	}
	if !codeShape.MatchString(code) {
		http.Error(w, "missing or malformed code", http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished {
		http.Error(w, "this flow has already registered an App", http.StatusGone)
		return
	}
	creds, err := f.exchange(r.Context(), code)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if err := f.write(creds); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	f.finished = true
	f.done <- creds
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = donePage.Execute(w, map[string]any{"Name": creds.Name, "ID": creds.ID, "Dir": f.outDir,
		"Install": strings.TrimRight(creds.HTMLURL, "/") + "/installations/new"})
}

// exchangeTimeout bounds the code's exchange, so a GitHub that does not
// answer fails the browser's page instead of holding it open.
const exchangeTimeout = 30 * time.Second

// exchange trades the temporary code for the App's configuration
// (POST /app-manifests/{code}/conversions; the code expires after an hour).
func (f *Flow) exchange(ctx context.Context, code string) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	cfg, _, err := f.client.Apps.CompleteAppManifest(ctx, code)
	if err != nil {
		return Credentials{}, fmt.Errorf("exchange the code for the App's credentials: %w", err)
	}
	c := Credentials{ID: cfg.GetID(), Slug: cfg.GetSlug(), Name: cfg.GetName(), HTMLURL: cfg.GetHTMLURL(),
		ClientID: cfg.GetClientID(), ClientSecret: cfg.GetClientSecret(), WebhookSecret: cfg.GetWebhookSecret(), PEM: cfg.GetPEM()}
	if c.ID == 0 || c.PEM == "" || c.WebhookSecret == "" {
		return Credentials{}, errors.New("exchange the code for the App's credentials: GitHub's answer lacks the ID, key or webhook secret")
	}
	return c, nil
}

// write stores the credentials: everything as JSON, and the key and secret as
// the files `promptgate serve --private-key-file/--webhook-secret-file` read.
func (f *Flow) write(c Credentials) error {
	all, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	for _, file := range []struct {
		name string
		data []byte
	}{{CredentialsFile, append(all, '\n')}, {PrivateKeyFile, []byte(c.PEM)}, {WebhookSecretFile, []byte(c.WebhookSecret)}} {
		if err := writeExclusive(filepath.Join(f.outDir, file.name), file.data); err != nil {
			return err
		}
	}
	return nil
}

// writeExclusive creates path with mode 0600, failing if it exists.
func writeExclusive(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return fh.Close()
}

func formOrigin(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "'none'"
	}
	return p.Scheme + "://" + p.Host
}
