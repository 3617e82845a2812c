package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/action/check"
	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/webreport"
)

const viewHelp = `Usage: promptgate view [flags] [REPORT]

Serves a report as one HTML page on 127.0.0.1 and prints its URL, like promptfoo view.
REPORT is an HTML report (eval or check -o report.html), an eval JSON report
(eval -o report.json or --format json) or a check JSON report (check --report-json);
default: report.html, else report.json, in the current directory.

The page shows every case of every prompt, base beside head for a check, with filters
(regressed, flaky, failing, by suite), the cost and owner tables and the trend charts. It
loads nothing from the network. The server listens on loopback only and stops on Ctrl-C.

Examples:
  promptgate eval -o report.html && promptgate view report.html
  promptgate check --base main --report-json report.json; promptgate view report.json
  promptgate view --port 15500 promptgate-report.json   # the Action's artifact
`

func runView(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("view", viewHelp, env)
	port := fs.Int("port", 0, "loopback `port` to listen on (default: a free one)")
	files, err := parseFlagsAndArgs(fs, args)
	if err != nil {
		return err
	}
	if len(files) > 1 {
		return usageError{msg: "view: name one report (see promptgate view --help)"}
	}
	file := ""
	if len(files) == 1 {
		file = resolveOut(env, files[0])
	} else {
		for _, f := range []string{"report.html", "report.json"} {
			if _, err := os.Stat(resolveOut(env, f)); err == nil {
				file = resolveOut(env, f)
				break
			}
		}
		if file == "" {
			return usageError{msg: "view: no report.html or report.json here; name the report: promptgate view FILE"}
		}
	}
	page, err := viewPage(file)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		return usageError{msg: fmt.Sprintf("view: listen on 127.0.0.1:%d: %v", *port, err)}
	}
	srv := &http.Server{Handler: viewHandler(page), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(env.Stdout, "promptgate: serving %s at http://%s/ (Ctrl-C to stop)\n", filepath.Base(file), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("view: serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("view: serve: %w", err)
	}
	return nil
}

// viewHandler serves the page at / and nothing else. The headers repeat the
// page's own policy, so a hand-made HTML file gets no more than promptgate's.
func viewHandler(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; connect-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})
}

// viewPage is the HTML to serve for file: an HTML report as it is, a JSON
// report rendered.
func viewPage(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, usageError{msg: "view: " + err.Error()}
	}
	switch strings.ToLower(filepath.Ext(file)) {
	case ".html", ".htm":
		return b, nil
	case ".json":
	default:
		return nil, usageError{msg: fmt.Sprintf("view: %s: want an .html or .json report", file)}
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, usageError{msg: fmt.Sprintf("view: %s is not a JSON report: %v", file, err)}
	}
	var page webreport.Page
	switch {
	case probe["suites"] != nil:
		var r eval.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, usageError{msg: fmt.Sprintf("view: %s: %v", file, err)}
		}
		page = webreport.FromEval(&r)
	case probe["Result"] != nil:
		var r check.Outcome
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, usageError{msg: fmt.Sprintf("view: %s: %v", file, err)}
		}
		page = checkPage(&r)
	default:
		return nil, usageError{msg: fmt.Sprintf("view: %s is neither an eval JSON report nor a check JSON report", file)}
	}
	var out bytes.Buffer
	if err := webreport.Write(&out, page); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
