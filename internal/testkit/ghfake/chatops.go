package ghfake

import (
	"net/http"
	"slices"
	"strconv"
)

// What ChatOps reads and writes: who may command, comments and reactions.

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
