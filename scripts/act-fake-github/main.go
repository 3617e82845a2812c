// Command act-fake-github is the loopback stand-in for GitHub that
// scripts/act-rerun.sh points the action at under nektos/act, so the
// measurement reaches nothing but 127.0.0.1:
//
//   - GET /api/v3/repos/OWNER/REPO/releases lists one release per
//     subdirectory of -dir (the subdirectory's name is the tag), as the
//     releases API does (only tag_name is filled in);
//   - GET /OWNER/REPO/releases/download/TAG/FILE serves -dir/TAG/FILE, as
//     release downloads do;
//   - everything else, including check-run creation, answers 404 with
//     GitHub's {"message":"Not Found"}: what GitHub answers a token that
//     cannot see the resource, so promptgate check falls back to the job
//     summary and annotations.
//
// It prints its base URL on the first line of stdout and logs every request
// with its status on stderr.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	dir := flag.String("dir", "", "directory holding one subdirectory per release tag")
	repo := flag.String("repo", "promptgate/promptgate", "OWNER/REPO whose releases are served")
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("act-fake-github: -dir is required")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	log.Fatal(http.Serve(ln, handler(*dir, *repo)))
}

func handler(dir, repo string) http.Handler {
	list := "/api/v3/repos/" + repo + "/releases"
	download := "/" + repo + "/releases/download/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := serve(w, r, dir, list, download)
		log.Printf("%s %s -> %d", r.Method, r.URL.RequestURI(), status)
	})
}

func serve(w http.ResponseWriter, r *http.Request, dir, list, download string) int {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == list:
		entries, err := os.ReadDir(dir)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return http.StatusInternalServerError
		}
		type release struct {
			TagName string `json:"tag_name"`
		}
		var out []release
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, release{TagName: e.Name()})
			}
		}
		// GitHub lists newest first; the action sorts the tags itself.
		sort.Slice(out, func(i, j int) bool { return out[i].TagName > out[j].TagName })
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
		return http.StatusOK
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, download):
		rest := strings.TrimPrefix(r.URL.Path, download)
		tag, file, ok := strings.Cut(rest, "/")
		if ok && tag != "" && file != "" && !strings.Contains(file, "/") && filepath.Base(tag) == tag && tag != ".." && file != ".." {
			p := filepath.Join(dir, tag, file)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				http.ServeFile(w, r, p)
				return http.StatusOK
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	w.Write([]byte(`{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}`))
	return http.StatusNotFound
}
