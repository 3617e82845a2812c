// Command act-fake-github is the loopback stand-in for GitHub that
// scripts/act-rerun.sh points the action at under nektos/act, so the
// measurement reaches nothing but 127.0.0.1. It serves the test kit's GitHub
// fake (internal/testkit/ghfake) with these routes:
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
// It prints its base URL on the first line of stdout, logs every request
// with its status on stderr, and serves until interrupted or terminated.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/promptgate/promptgate/internal/testkit"
	"github.com/promptgate/promptgate/internal/testkit/ghfake"
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	harness := &testkit.Standalone{Out: os.Stderr}
	defer harness.Close()
	ghfake.NewRoutes(harness, ghfake.RoutesOptions{Listener: ln, Unrouted: logged(ghfake.NotFound)}, map[string]http.HandlerFunc{
		"GET /api/v3/repos/" + *repo + "/releases":          logged(releases(*dir)),
		"GET /" + *repo + "/releases/download/{tag}/{file}": logged(download(*dir)),
	})
	fmt.Printf("http://%s\n", ln.Addr())
	os.Stdout.Sync()
	<-ctx.Done()
}

// releases lists one release per subdirectory of dir, newest tag first as
// GitHub does (the action sorts the tags itself).
func releases(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
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
		sort.Slice(out, func(i, j int) bool { return out[i].TagName > out[j].TagName })
		ghfake.WriteJSON(w, http.StatusOK, out)
	}
}

// download serves dir/TAG/FILE, and GitHub's 404 for anything else.
func download(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tag, file := r.PathValue("tag"), r.PathValue("file")
		if filepath.Base(tag) == tag && tag != ".." && file != ".." {
			p := filepath.Join(dir, tag, file)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				http.ServeFile(w, r, p)
				return
			}
		}
		ghfake.NotFound(w, r)
	}
}

// logged logs each request h answers with its status.
func logged(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h(sw, r)
		log.Printf("%s %s -> %d", r.Method, r.URL.RequestURI(), sw.status)
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}
