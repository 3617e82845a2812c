package ghfake

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
)

// The repository: its metadata, files and commits through the Contents API,
// pull requests and check runs.

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
