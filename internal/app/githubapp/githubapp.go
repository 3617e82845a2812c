// Package githubapp is `promptgate serve`: the GitHub App server. It wires the
// webhook pipeline to the rollout service, authenticates as each installation with
// cached installation clients (ghclient), and runs the HTTP server with a graceful,
// draining shutdown.
package githubapp

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v62/github"

	"github.com/promptgate/promptgate/internal/app/online"
	"github.com/promptgate/promptgate/internal/app/rollout"
	"github.com/promptgate/promptgate/internal/app/webhook"
	"github.com/promptgate/promptgate/internal/ghclient"
)

// NewLogger returns the JSON slog logger serve logs with.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// MaxEventBody caps the payloads of the events the App handles. GitHub's
// issue_comment and check_run payloads are 10 to 100 KB; a comment body is at
// most 65,536 characters. Other events keep webhook.DefaultMaxBody, GitHub's own
// 25 MB cap, and every unverified body counts against webhook.DefaultMaxBuffered.
var MaxEventBody = map[string]int64{"issue_comment": 1 << 20, "check_run": 1 << 20}

// Server is the App: webhook intake, worker pool and rollout service.
type Server struct {
	log     *slog.Logger
	hooks   *webhook.Handler
	clients *clients
	rollout *rollout.Service
	// comments remembers (repository, comment ID) pairs already run. Unlike the
	// delivery ID, which is an unsigned header, both come from the signed body,
	// so a delivery replayed under a new ID is still recognised.
	comments *webhook.Dedupe
	driver   *rollout.Driver
	// alerts serves POST /alertmanager; nil when no token is configured.
	alerts http.Handler
	// online serves POST /v1/traces; nil when no OTLP token is configured.
	online  *online.Receiver
	metrics *online.Metrics
}

// NewServer checks cfg's private key and starts the worker pool. Call Shutdown
// to drain it.
func NewServer(cfg Config, log *slog.Logger) (*Server, error) {
	if len(cfg.WebhookSecret) == 0 {
		return nil, errors.New("start App: no webhook secret")
	}
	// Rate limits on the installation token are waited out, not failed.
	cl, err := newClients(cfg, log)
	if err != nil {
		return nil, err
	}
	s := &Server{log: log, clients: cl, rollout: &rollout.Service{},
		comments: webhook.NewDedupe(webhook.DefaultDedupeSize, webhook.DefaultDedupeTTL, time.Now), metrics: online.NewMetrics()}
	s.online = s.newOnline(cfg)
	s.driver = rollout.NewDriver(s.rollout, log.With("component", "auto"))
	s.hooks = webhook.New(webhook.ProcessorFunc(s.process), webhook.Options{
		Secret: cfg.WebhookSecret, Filter: s.filter, Workers: cfg.Workers, QueueSize: cfg.QueueSize, Logger: log,
		EventMaxBody: MaxEventBody,
	})
	s.alerts = s.alertHandler(cfg.AlertmanagerToken)
	return s, nil
}

// Handler serves POST /webhook, GET /healthz, GET /metrics and, with their
// tokens, POST /alertmanager and POST /v1/traces.
func (s *Server) Handler() http.Handler {
	metrics := s.metrics.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/alertmanager" && s.alerts != nil:
			s.alerts.ServeHTTP(w, r)
		case r.URL.Path == "/v1/traces" && s.online != nil:
			s.online.ServeHTTP(w, r)
		case r.URL.Path == "/metrics" && r.Method == http.MethodGet:
			metrics.ServeHTTP(w, r)
		default:
			s.hooks.ServeHTTP(w, r)
		}
	})
}

// Shutdown refuses new deliveries and waits for queued and running ones, and
// for the online grading queue.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hooks.Shutdown(ctx)
	if s.online != nil {
		err = errors.Join(err, s.online.Close(ctx))
	}
	return err
}

// Run serves on cfg.Listen until ctx is cancelled (wire it to SIGINT/SIGTERM),
// then stops accepting, finishes in-flight requests and jobs within
// cfg.ShutdownTimeout, and returns.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	return Serve(ctx, ln, cfg, log)
}

// Serve is Run on an existing listener, which it closes.
func Serve(ctx context.Context, ln net.Listener, cfg Config, log *slog.Logger) error {
	srv, err := NewServer(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		MaxHeaderBytes: 64 << 10,
		WriteTimeout:   30 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	log.Info("promptgate serve listening", "addr", ln.Addr().String(), "config", cfg)
	autoCtx, stopAuto := context.WithCancel(ctx)
	autoDone := make(chan struct{})
	go func() { defer close(autoDone); srv.runAuto(autoCtx, cfg.AutoPoll) }()

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serveErr = fmt.Errorf("serve HTTP: %w", serveErr)
	}
	stopAuto()
	<-autoDone
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	log.Info("shutting down: finishing in-flight deliveries", "timeout", timeout.String())
	errs := []error{serveErr}
	if err := hs.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("stop HTTP server: %w", err))
	}
	errs = append(errs, srv.Shutdown(sctx))
	log.Info("stopped")
	return errors.Join(errs...)
}

// process runs one queued delivery: full parse with go-github, then the command.
func (s *Server) process(ctx context.Context, d webhook.Delivery) {
	log := s.log.With("delivery", d.ID, "event", d.Event)
	ev, err := github.ParseWebHook(d.Event, d.Body)
	if err != nil {
		log.Warn("parse delivery", "error", err)
		return
	}
	if push, ok := ev.(*github.PushEvent); ok {
		s.pushed(push)
		return
	}
	ic, ok := ev.(*github.IssueCommentEvent)
	if !ok {
		log.Debug("event not handled")
		return
	}
	log = log.With("repo", ic.GetRepo().GetFullName(), "pr", ic.GetIssue().GetNumber())
	if ok, why := commandComment(ic); !ok {
		log.Debug("comment ignored", "reason", why)
		return
	}
	key := fmt.Sprintf("%d/%d", ic.GetRepo().GetID(), ic.GetComment().GetID())
	if !s.comments.Reserve(key) {
		log.Warn("comment already handled; delivery ignored as a replay", "comment", ic.GetComment().GetID())
		return
	}
	// forget lets GitHub's redelivery of this delivery run the comment again.
	forget := func() { s.hooks.Forget(d.ID); s.comments.Release(key) }
	gh, err := s.clients.forInstallation(ic.GetInstallation().GetID())
	if err != nil {
		forget()
		log.Error("authenticate as installation; a redelivery will run it again", "error", err)
		return
	}
	req := rollout.Request{
		Owner: ic.GetRepo().GetOwner().GetLogin(), Repo: ic.GetRepo().GetName(),
		DefaultBranch: ic.GetRepo().GetDefaultBranch(), PR: ic.GetIssue().GetNumber(),
		CommentID: ic.GetComment().GetID(), Commenter: ic.GetComment().GetUser().GetLogin(),
		Body: ic.GetComment().GetBody(), CreatedAt: ic.GetComment().GetCreatedAt().Time,
	}
	log.Info("running commands", "commenter", req.Commenter, "comment", req.CommentID)
	if err := s.rollout.Handle(ctx, gh, req, log); err != nil {
		// Talking to GitHub failed. Redoing the comment is safe (a rollout already
		// applied reads back as "already at N%"), so let GitHub's redelivery in.
		forget()
		log.Error("handle comment; a redelivery will run it again", "error", err)
	}
}

// commandComment applies, on the fully parsed event, the rules wanted applies on
// the request path: created comments on pull requests by people, never bots.
func commandComment(ev *github.IssueCommentEvent) (bool, string) {
	switch {
	case ev.GetAction() != "created":
		return false, "action " + ev.GetAction()
	case ev.GetIssue().GetPullRequestLinks() == nil:
		return false, "comment on an issue, not a pull request"
	case isBot(ev.GetComment().GetUser().GetType(), ev.GetComment().GetUser().GetLogin()):
		return false, "comment by a bot"
	case !hasCommandLine(ev.GetComment().GetBody()):
		return false, "no command line"
	case ev.GetInstallation().GetID() == 0:
		return false, "no installation in payload"
	case ev.GetComment().GetID() == 0 || ev.GetRepo().GetID() == 0:
		return false, "no comment or repository ID in payload"
	}
	return true, ""
}

func isBot(userType, login string) bool {
	return userType == "Bot" || strings.HasSuffix(login, "[bot]")
}

// clients caches one go-github client per installation. Each wraps a
// ghinstallation transport, which refreshes its token before it expires.
type clients struct {
	app  *ghclient.App
	mu   sync.Mutex
	byID map[int64]*github.Client
}

func newClients(cfg Config, log *slog.Logger) (*clients, error) {
	app, err := ghclient.NewApp(cfg.AppID, cfg.PrivateKey, cmp.Or(cfg.APIURL, DefaultAPIURL), nil, log)
	if err != nil {
		return nil, err
	}
	return &clients{app: app, byID: map[int64]*github.Client{}}, nil
}

func (c *clients) forInstallation(id int64) (*github.Client, error) {
	if id == 0 {
		return nil, errors.New("delivery has no installation ID")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gh, ok := c.byID[id]; ok {
		return gh, nil
	}
	gh := c.app.Installation(id)
	c.byID[id] = gh
	return gh, nil
}
