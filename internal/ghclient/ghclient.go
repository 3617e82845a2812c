// Package ghclient builds every go-github client promptgate uses, each behind
// Transport, which waits out GitHub's rate limits instead of failing: New for
// the Action (a token and GITHUB_API_URL), NewApp for the GitHub App (as the
// App, and as each of its installations through ghinstallation).
package ghclient

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v62/github"
)

// New returns the Action's client: authenticated with token (none when
// empty), sending through base (nil means http.DefaultTransport) behind
// Transport. An empty apiURL (GITHUB_API_URL) or https://api.github.com means
// github.com; any other URL, such as GitHub Enterprise Server's
// https://HOST/api/v3, is used as the REST base as given.
func New(token, apiURL string, base http.RoundTripper) (*github.Client, error) {
	c := github.NewClient(&http.Client{Transport: &Transport{Base: base}})
	if token != "" {
		c = c.WithAuthToken(token)
	}
	apiURL = strings.TrimSpace(apiURL)
	if apiURL == "" || strings.TrimRight(apiURL, "/") == "https://api.github.com" {
		return c, nil
	}
	baseURL, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
	if err != nil || baseURL.Scheme == "" || baseURL.Host == "" {
		return nil, fmt.Errorf("parse GITHUB_API_URL %q: not an absolute URL", apiURL)
	}
	c.BaseURL = baseURL
	upload := *baseURL
	upload.Path = strings.Replace(baseURL.Path, "/api/v3/", "/api/uploads/", 1)
	c.UploadURL = &upload
	return c, nil
}

// appTimeout bounds each request of the App's clients.
const appTimeout = 30 * time.Second

// App makes the GitHub App's clients: one authenticated as the App (a JWT),
// and one per installation, whose ghinstallation transport refreshes its
// token before it expires.
type App struct {
	apps    *ghinstallation.AppsTransport
	baseURL *url.URL
}

// NewApp returns the clients' maker for the App appID with its PEM private
// key, at apiURL: the REST root as given (https://api.github.com, or
// https://HOST/api/v3 on GHES). Requests go through base (nil means
// http.DefaultTransport) behind Transport, which logs each wait to log.
func NewApp(appID int64, privateKey []byte, apiURL string, base http.RoundTripper, log *slog.Logger) (*App, error) {
	apps, err := ghinstallation.NewAppsTransport(&Transport{Base: base, Logger: log}, appID, privateKey)
	if err != nil {
		// The error may quote the key's framing but never its bytes; keep it generic anyway.
		return nil, errors.New("start App: the private key is not a PEM-encoded RSA key")
	}
	apps.BaseURL = strings.TrimRight(apiURL, "/")
	u, err := url.Parse(apps.BaseURL + "/")
	if err != nil {
		return nil, fmt.Errorf("parse API URL %q: %w", apiURL, err)
	}
	return &App{apps: apps, baseURL: u}, nil
}

// AsApp returns a client authenticated as the App itself, for the App API
// (its installations, and which installation covers a repository).
func (a *App) AsApp() *github.Client {
	return a.client(a.apps)
}

// Installation returns a client authenticated as installation id. Callers
// keep it: its transport caches the installation token.
func (a *App) Installation(id int64) *github.Client {
	return a.client(ghinstallation.NewFromAppsTransport(a.apps, id))
}

func (a *App) client(tr http.RoundTripper) *github.Client {
	gh := github.NewClient(&http.Client{Transport: tr, Timeout: appTimeout})
	// GITHUB_API_URL already names the REST root on GHES (https://HOST/api/v3),
	// so set it as is instead of WithEnterpriseURLs' path guessing.
	gh.BaseURL = a.baseURL
	return gh
}
