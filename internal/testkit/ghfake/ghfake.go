// Package ghfake is a stateful httptest fake of the slice of the GitHub REST API
// that promptgate's App uses. Tests point a real go-github client at it. Every
// route checks its method, path and decoded body; any other request fails the test.
package ghfake

import (
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

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
