// Package ghfake is a stateful httptest fake of the slice of the GitHub REST API
// that promptgate's App uses. Tests point a real go-github client at it. Every
// route checks its method, path and decoded body; any other request fails the test.
package ghfake

import (
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/testkit"
)

// Token is the installation token the fake hands out.
const Token = "ghs_faketoken0123456789"

// CheckRun is a check run on a commit.
type CheckRun struct {
	Name, Status, Conclusion, Summary string
}

// Commit is a commit the fake made through the Contents API.
type Commit struct {
	SHA, Branch, Path, Message string
	Content                    []byte
}

// Comment is an issue or PR comment posted through the API.
type Comment struct {
	Issue int
	Body  string
}

// Read is a GET of a file through the Contents API, with the ref it named.
type Read struct {
	Ref, Path string
}

// Reaction is a reaction added to an issue comment.
type Reaction struct {
	ID        int64
	CommentID int64
	Content   string
}

// Server is the fake. Set its exported fields before the first request; read
// them through the accessor methods, which lock.
type Server struct {
	*httptest.Server
	t testkit.TB

	mu sync.Mutex
	// Files maps "branch:path" to content.
	files map[string][]byte
	// Permissions maps login to role name (admin, maintain, write, triage, read, none).
	Permissions map[string]string
	// TeamMembers maps "org/slug" to active member logins.
	TeamMembers map[string][]string
	// PullHeads maps PR number to head SHA.
	PullHeads map[int]string
	// CheckRuns maps commit SHA to its check runs.
	CheckRuns map[string][]CheckRun
	// ConflictFirstPut answers 409 to the first PUT of each distinct commit message.
	ConflictFirstPut bool
	// ConflictMutate, when set, rewrites the file as the injected conflict is
	// answered, as another writer's commit would, so a retry must re-read.
	ConflictMutate func(content []byte) []byte
	// Latency delays every answer, as a real API's round trip does.
	Latency time.Duration
	// AppKey, when set, makes the fake verify the App JWT and require Token on every
	// other route.
	AppKey *rsa.PublicKey
	// Protected maps a branch to the message GitHub gives when branch protection
	// refuses a commit to it; PUTs to it are answered 422 with that message.
	Protected map[string]string
	// DefaultBranch is what GET /repos/{owner}/{repo} reports; "" means main.
	DefaultBranch string
	// OnPut, when set, is called as each PUT of a file arrives, before it is
	// answered (a test cancels the client's context there, as a shutdown
	// between a commit and its PR comment would).
	OnPut func()
	// Installations maps "owner/repo" to the App installation on it, for GET
	// /repos/{owner}/{repo}/installation (which needs the App JWT when AppKey is set).
	Installations map[string]int64
	// ManifestCodes maps a manifest-flow code to the App it registers, for POST
	// /app-manifests/{code}/conversions; each code converts once, as on GitHub.
	ManifestCodes map[string]*github.AppConfig

	commits     []Commit
	comments    []Comment
	reactions   []Reaction
	calls       []string
	reads       []Read
	reactionSeq int64
	issueCmts   map[int64]issueComment
	putMessages map[string]int
	tokens      int
}

// New starts a fake; it is closed with the test.
func New(t testkit.TB) *Server {
	s := &Server{t: t, files: map[string][]byte{}, Permissions: map[string]string{},
		TeamMembers: map[string][]string{}, PullHeads: map[int]string{}, CheckRuns: map[string][]CheckRun{},
		Installations: map[string]int64{}, putMessages: map[string]int{}, Protected: map[string]string{}, issueCmts: map[int64]issueComment{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /app/installations/{id}/access_tokens", s.accessToken)
	mux.HandleFunc("GET /repos/{owner}/{repo}", s.auth(s.repository))
	mux.HandleFunc("GET /repos/{owner}/{repo}/installation", s.repoInstallation)
	mux.HandleFunc("GET /app/installations", s.listInstallations)
	mux.HandleFunc("GET /installation/repositories", s.auth(s.installationRepos))
	mux.HandleFunc("GET /repos/{owner}/{repo}/contents/{path...}", s.auth(s.getContents))
	mux.HandleFunc("PUT /repos/{owner}/{repo}/contents/{path...}", s.auth(s.putContents))
	mux.HandleFunc("GET /repos/{owner}/{repo}/collaborators/{user}/permission", s.auth(s.permission))
	mux.HandleFunc("GET /orgs/{org}/teams/{slug}/memberships/{user}", s.auth(s.membership))
	mux.HandleFunc("GET /repos/{owner}/{repo}/pulls/{n}", s.auth(s.pull))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits/{ref}/check-runs", s.auth(s.checkRuns))
	mux.HandleFunc("GET /repos/{owner}/{repo}/commits", s.auth(s.listCommits))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{n}/comments", s.auth(s.createComment))
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/comments/{id}", s.auth(s.getComment))
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/comments/{id}/reactions", s.auth(s.createReaction))
	mux.HandleFunc("DELETE /repos/{owner}/{repo}/issues/comments/{id}/reactions/{rid}", s.auth(s.deleteReaction))
	mux.HandleFunc("POST /app-manifests/{code}/conversions", s.manifestConversion)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.t.Errorf("ghfake: unexpected request %s %s", r.Method, r.URL.Path)
		http.Error(w, "unexpected route", http.StatusNotFound)
	})
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls = append(s.calls, r.Method+" "+r.URL.Path)
		latency := s.Latency
		s.mu.Unlock()
		time.Sleep(latency)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Client returns a go-github client pointed at the fake.
func (s *Server) Client() *github.Client {
	c := github.NewClient(s.Server.Client())
	u, _ := url.Parse(s.URL + "/")
	c.BaseURL = u
	return c
}

// SetFile stores content at path on branch.
func (s *Server) SetFile(branch, path string, content []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[branch+":"+path] = content
}

// SetPullHead sets PR n's head SHA; unlike writing PullHeads, it is safe while
// requests are in flight.
func (s *Server) SetPullHead(n int, sha string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.PullHeads[n] = sha
}

// File returns the content at path on branch.
func (s *Server) File(branch, path string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.files[branch+":"+path]
}

type issueComment struct{ login, body string }

// SetComment stores a comment that GET /repos/{o}/{r}/issues/comments/{id}
// returns: a command comment as it stands now.
func (s *Server) SetComment(id int64, login, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.issueCmts[id] = issueComment{login, body}
}

// DeleteComment removes a stored comment, so that fetching it answers 404.
func (s *Server) DeleteComment(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.issueCmts, id)
}

// Reads returns every Contents API read with its ref, in order.
func (s *Server) Reads() []Read { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.reads) }

// Commits returns the commits made so far, oldest first.
func (s *Server) Commits() []Commit { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.commits) }

// Comments returns the comments posted so far.
func (s *Server) Comments() []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.comments)
}

// Reactions returns the reactions added so far.
func (s *Server) Reactions() []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reactions)
}

// Calls returns every request as "METHOD /path", in order.
func (s *Server) Calls() []string { s.mu.Lock(); defer s.mu.Unlock(); return slices.Clone(s.calls) }

// Count returns how many requests had the given method and path prefix.
func (s *Server) Count(method, pathPrefix string) int {
	n := 0
	for _, c := range s.Calls() {
		if strings.HasPrefix(c, method+" "+pathPrefix) {
			n++
		}
	}
	return n
}

// TokensIssued returns how many installation tokens were minted.
func (s *Server) TokensIssued() int { s.mu.Lock(); defer s.mu.Unlock(); return s.tokens }

// BlobSHA is git's blob hash of content, which the Contents API calls sha.
func BlobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

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

func (s *Server) repository(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	branch := s.DefaultBranch
	s.mu.Unlock()
	if branch == "" {
		branch = "main"
	}
	owner, repo := r.PathValue("owner"), r.PathValue("repo")
	writeJSON(w, http.StatusOK, map[string]any{"name": repo, "full_name": owner + "/" + repo,
		"owner": map[string]string{"login": owner}, "default_branch": branch})
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

func (s *Server) getContents(w http.ResponseWriter, r *http.Request) {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		s.t.Errorf("ghfake: GET contents %s without ref: the App must name the trusted branch", r.PathValue("path"))
	}
	s.mu.Lock()
	s.reads = append(s.reads, Read{Ref: ref, Path: r.PathValue("path")})
	content, ok := s.files[ref+":"+r.PathValue("path")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"type": "file", "encoding": "base64", "path": r.PathValue("path"),
		"sha": BlobSHA(content), "content": base64.StdEncoding.EncodeToString(content)})
}

func (s *Server) putContents(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Message string `json:"message"`
		Content []byte `json:"content"`
		SHA     string `json:"sha"`
		Branch  string `json:"branch"`
	}
	if !decode(s.t, r, &body) {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if body.Message == "" || body.Branch == "" || body.SHA == "" {
		s.t.Errorf("ghfake: PUT contents needs message, branch and sha, got %+v", body)
	}
	if s.OnPut != nil {
		s.OnPut()
	}
	path := r.PathValue("path")
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg, ok := s.Protected[body.Branch]; ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"message": msg,
			"documentation_url": "https://docs.github.com/articles/about-protected-branches"})
		return
	}
	s.putMessages[body.Message]++
	if s.ConflictFirstPut && s.putMessages[body.Message] == 1 {
		if s.ConflictMutate != nil {
			key := body.Branch + ":" + path
			s.files[key] = s.ConflictMutate(s.files[key])
		}
		writeJSON(w, http.StatusConflict, map[string]string{"message": "is at " + BlobSHA(s.files[body.Branch+":"+path]) + " but expected " + body.SHA})
		return
	}
	current, ok := s.files[body.Branch+":"+path]
	if !ok || BlobSHA(current) != body.SHA {
		writeJSON(w, http.StatusConflict, map[string]string{"message": path + " does not match " + body.SHA})
		return
	}
	s.files[body.Branch+":"+path] = body.Content
	sha := BlobSHA([]byte(fmt.Sprintf("commit %d %s", len(s.commits), body.Message)))
	s.commits = append(s.commits, Commit{SHA: sha, Branch: body.Branch, Path: path, Message: body.Message, Content: body.Content})
	writeJSON(w, http.StatusOK, map[string]any{
		"content": map[string]any{"path": path, "sha": BlobSHA(body.Content)},
		"commit": map[string]any{"sha": sha, "message": body.Message,
			"html_url": "https://github.com/" + r.PathValue("owner") + "/" + r.PathValue("repo") + "/commit/" + sha},
	})
}

func (s *Server) listCommits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for i := len(s.commits) - 1; i >= 0; i-- {
		c := s.commits[i]
		if (q.Get("path") != "" && c.Path != q.Get("path")) || (q.Get("sha") != "" && c.Branch != q.Get("sha")) {
			continue
		}
		out = append(out, map[string]any{"sha": c.SHA, "html_url": "https://github.com/o/r/commit/" + c.SHA,
			"commit": map[string]any{"message": c.Message, "author": map[string]any{"date": "2024-05-01T12:00:00Z"}}})
	}
	if n, _ := strconv.Atoi(q.Get("per_page")); n > 0 && len(out) > n {
		out = out[:n]
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) permission(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	role, ok := s.Permissions[r.PathValue("user")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	// The legacy "permission" field folds maintain into write and triage into read.
	legacy := map[string]string{"maintain": "write", "triage": "read"}[role]
	if legacy == "" {
		legacy = role
	}
	writeJSON(w, http.StatusOK, map[string]any{"permission": legacy, "role_name": role, "user": map[string]string{"login": r.PathValue("user")}})
}

func (s *Server) membership(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	members := s.TeamMembers[r.PathValue("org")+"/"+r.PathValue("slug")]
	s.mu.Unlock()
	if !slices.Contains(members, r.PathValue("user")) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"state": "active", "role": "member"})
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	s.mu.Lock()
	head, ok := s.PullHeads[n]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"number": n, "head": map[string]string{"sha": head}})
}

func (s *Server) checkRuns(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("check_name")
	s.mu.Lock()
	var runs []map[string]any
	for _, c := range s.CheckRuns[r.PathValue("ref")] {
		if name == "" || c.Name == name {
			runs = append(runs, map[string]any{"name": c.Name, "status": c.Status, "conclusion": c.Conclusion,
				"head_sha": r.PathValue("ref"), "output": map[string]string{"summary": c.Summary}})
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": runs})
}

func (s *Server) createComment(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Body string `json:"body"`
	}
	if !decode(s.t, r, &body) || body.Body == "" {
		s.t.Errorf("ghfake: comment without body")
		http.Error(w, "bad body", http.StatusUnprocessableEntity)
		return
	}
	n, _ := strconv.Atoi(r.PathValue("n"))
	s.mu.Lock()
	s.comments = append(s.comments, Comment{Issue: n, Body: body.Body})
	id := len(s.comments)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"id": id, "body": body.Body})
}

func (s *Server) getComment(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	c, ok := s.issueCmts[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "body": c.body, "user": map[string]string{"login": c.login}})
}

func (s *Server) createReaction(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Content string `json:"content"`
	}
	valid := []string{"+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"}
	if !decode(s.t, r, &body) || !slices.Contains(valid, body.Content) {
		s.t.Errorf("ghfake: bad reaction %q", body.Content)
		http.Error(w, "bad body", http.StatusUnprocessableEntity)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Like GitHub, a user's second identical reaction is answered 200 with the first.
	for _, old := range s.reactions {
		if old.CommentID == id && old.Content == body.Content {
			writeJSON(w, http.StatusOK, map[string]any{"id": old.ID, "content": old.Content})
			return
		}
	}
	s.reactionSeq++
	s.reactions = append(s.reactions, Reaction{ID: s.reactionSeq, CommentID: id, Content: body.Content})
	writeJSON(w, http.StatusCreated, map[string]any{"id": s.reactionSeq, "content": body.Content})
}

func (s *Server) deleteReaction(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	rid, _ := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.reactions {
		if old.ID == rid && old.CommentID == id {
			s.reactions = slices.Delete(s.reactions, i, i+1)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func decode(t testkit.TB, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Errorf("ghfake: %s %s: decode body: %v", r.Method, r.URL.Path, err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
