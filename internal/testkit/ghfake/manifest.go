package ghfake

import (
	"encoding/json"
	"io"
	"net/http"
)

// manifestConversion answers the last step of GitHub's App manifest flow. The
// call carries no credentials and no body; a code works once.
func (s *Server) manifestConversion(w http.ResponseWriter, r *http.Request) {
	if h := r.Header.Get("Authorization"); h != "" {
		s.t.Errorf("ghfake: manifest conversion sent Authorization %q; it takes none", h)
	}
	if b, _ := io.ReadAll(r.Body); len(b) != 0 {
		s.t.Errorf("ghfake: manifest conversion sent a body %q; it takes none", b)
	}
	s.mu.Lock()
	app, ok := s.ManifestCodes[r.PathValue("code")]
	delete(s.ManifestCodes, r.PathValue("code"))
	s.mu.Unlock()
	if !ok {
		http.Error(w, `{"message": "Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(app)
}
