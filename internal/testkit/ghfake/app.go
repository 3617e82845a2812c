package ghfake

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// The App's authentication: installation tokens, the App JWT, and which
// installations cover which repositories.

func (s *Server) auth(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.AppKey != nil && r.Header.Get("Authorization") != "token "+Token {
			s.t.Errorf("ghfake: %s %s without the installation token", r.Method, r.URL.Path)
			http.Error(w, "bad credentials", http.StatusUnauthorized)
			return
		}
		next(w, r)
	}
}

func (s *Server) accessToken(w http.ResponseWriter, r *http.Request) {
	if s.AppKey == nil {
		s.t.Errorf("ghfake: access token requested but no AppKey set")
		http.Error(w, "no app", http.StatusNotFound)
		return
	}
	raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if _, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return s.AppKey, nil }, jwt.WithValidMethods([]string{"RS256"})); err != nil {
		s.t.Errorf("ghfake: bad app JWT: %v", err)
		http.Error(w, "bad jwt", http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.tokens++
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"token": Token, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

// checkAppJWT fails the test unless the request carries a valid App JWT
// (when AppKey is set).
func (s *Server) checkAppJWT(w http.ResponseWriter, r *http.Request) bool {
	if s.AppKey == nil {
		return true
	}
	raw := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if _, err := jwt.Parse(raw, func(*jwt.Token) (any, error) { return s.AppKey, nil }, jwt.WithValidMethods([]string{"RS256"})); err != nil {
		s.t.Errorf("ghfake: %s %s without a valid App JWT: %v", r.Method, r.URL.Path, err)
		http.Error(w, "bad jwt", http.StatusUnauthorized)
		return false
	}
	return true
}

// listInstallations answers GET /app/installations (App JWT): one entry per
// distinct installation ID in Installations.
func (s *Server) listInstallations(w http.ResponseWriter, r *http.Request) {
	if !s.checkAppJWT(w, r) {
		return
	}
	s.mu.Lock()
	ids := map[int64]bool{}
	for _, id := range s.Installations {
		ids[id] = true
	}
	s.mu.Unlock()
	out := []map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		out = append(out, map[string]any{"id": id, "app_id": 42})
	}
	writeJSON(w, http.StatusOK, out)
}

// installationRepos answers GET /installation/repositories (installation
// token): every repository in Installations. The fake has one token for all
// installations, so each installation lists them all.
func (s *Server) installationRepos(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	branch := s.DefaultBranch
	names := slices.Sorted(maps.Keys(s.Installations))
	s.mu.Unlock()
	if branch == "" {
		branch = "main"
	}
	repos := []map[string]any{}
	for _, full := range names {
		owner, name, _ := strings.Cut(full, "/")
		repos = append(repos, map[string]any{"name": name, "full_name": full,
			"owner": map[string]string{"login": owner}, "default_branch": branch})
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(repos), "repositories": repos})
}

// repoInstallation answers GET /repos/{owner}/{repo}/installation, which GitHub
// serves only to the App itself (JWT), never to an installation token.
func (s *Server) repoInstallation(w http.ResponseWriter, r *http.Request) {
	if !s.checkAppJWT(w, r) {
		return
	}
	s.mu.Lock()
	id, ok := s.Installations[r.PathValue("owner")+"/"+r.PathValue("repo")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "app_id": 42,
		"account": map[string]string{"login": r.PathValue("owner")}})
}
