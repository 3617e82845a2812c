package githubapp

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/app/online"
	"github.com/promptgate/promptgate/internal/app/webhook"
)

// DefaultListen and DefaultAPIURL apply when neither env nor flags set them.
const (
	DefaultListen = ":8080"
	DefaultAPIURL = "https://api.github.com"
)

// Config is everything `promptgate serve` needs. Secrets are kept out of String.
type Config struct {
	// AppID is the GitHub App's numeric ID.
	AppID int64
	// PrivateKey is the App's PEM-encoded RSA key.
	PrivateKey []byte
	// WebhookSecret verifies X-Hub-Signature-256.
	WebhookSecret []byte
	// Listen is the HTTP listen address.
	Listen string
	// APIURL is the REST API root: https://api.github.com or https://HOST/api/v3 on GHES.
	APIURL string
	// Workers and QueueSize size the delivery worker pool.
	Workers, QueueSize int
	// ShutdownTimeout bounds how long shutdown waits for in-flight work.
	ShutdownTimeout time.Duration
	// LogLevel is the slog level (debug shows ignored deliveries).
	LogLevel slog.Level
	// AlertmanagerToken is the bearer token POST /alertmanager requires; empty
	// turns the endpoint off.
	AlertmanagerToken []byte
	// AutoPoll is how often automatic rollouts are checked for a due step;
	// 0 means DefaultAutoPoll.
	AutoPoll time.Duration
	// OTLPTokens turn on POST /v1/traces: each bearer token stands for one
	// repository. Empty turns the receiver off.
	OTLPTokens online.Tokens
	// JudgeKeys are the keys PROMPTGATE_JUDGE_KEYS grants repositories'
	// llm-rubric judges, read from the environment at start.
	JudgeKeys online.JudgeKeys
	// OnlineWorkers and OnlineQueue size the online grading pool; 0 means
	// online's defaults.
	OnlineWorkers, OnlineQueue int
	// OTLPRate is how many exports a second each repository may send to
	// POST /v1/traces before it is answered 429; 0 means online's default.
	OTLPRate float64
}

// DefaultAutoPoll is how often serve looks for due automatic rollout steps.
const DefaultAutoPoll = 15 * time.Second

// String describes the config without its secrets.
func (c Config) String() string {
	return fmt.Sprintf("app_id=%d listen=%s api=%s workers=%d queue=%d auto_poll=%s private_key=%s webhook_secret=%s alertmanager_token=%s otlp_repos=%d",
		c.AppID, c.Listen, c.APIURL, c.Workers, c.QueueSize, c.AutoPoll, redacted(c.PrivateKey), redacted(c.WebhookSecret), redacted(c.AlertmanagerToken),
		len(c.OTLPTokens.Repos()))
}

// LogValue keeps secrets out of slog output.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(b []byte) string {
	if len(b) == 0 {
		return "unset"
	}
	return "set"
}

const usageText = `Usage: promptgate serve [flags]

Runs the promptgate GitHub App: receives webhooks at POST /webhook, answers
/rollout, /rollback and /promptgate help comments on pull requests, steps
/rollout <flag> auto rollouts (resuming them on start), rolls flags
back for Alertmanager at POST /alertmanager (when a token is set), and serves
GET /healthz. Every flag defaults to its environment variable.

serve speaks plain HTTP: put it behind something that terminates TLS (an
ingress, a load balancer, Caddy or nginx) and give GitHub https://HOST/webhook.

Examples:
  promptgate app manifest --webhook-url https://pg.example.com/webhook   # register the App first
  promptgate serve --app-id 123456 --private-key-file private-key.pem \
      --webhook-secret-file webhook-secret
  PROMPTGATE_APP_ID=123456 PROMPTGATE_PRIVATE_KEY_FILE=/run/secrets/key.pem \
      PROMPTGATE_WEBHOOK_SECRET=... promptgate serve --listen 127.0.0.1:8080
  docker run -p 8080:8080 -e PROMPTGATE_APP_ID=123456 -v "$PWD:/var/run/promptgate:ro" \
      ghcr.io/promptgate/promptgate:v1 serve \
      --private-key-file /var/run/promptgate/private-key.pem \
      --webhook-secret-file /var/run/promptgate/webhook-secret

The App reads promptgate.yaml and the flags file from each repository's default
branch, never from a pull request. Deploying: docs/deploy.md (container,
Kubernetes, systemd, TLS); commands and rules: docs/serve.md.

Flags:
  --app-id ID              GitHub App ID ($PROMPTGATE_APP_ID)
  --private-key-file PATH  App private key, PEM ($PROMPTGATE_PRIVATE_KEY_FILE);
                           or put the PEM itself in $PROMPTGATE_PRIVATE_KEY
  --webhook-secret-file PATH
                           file holding the webhook secret; or set
                           $PROMPTGATE_WEBHOOK_SECRET (no flag takes the secret
                           itself, so it never shows in a process list)
  --listen ADDR            listen address ($PROMPTGATE_LISTEN, default :8080)
  --api-url URL            GitHub REST API root ($GITHUB_API_URL, default
                           https://api.github.com; GHES: https://HOST/api/v3)
  --workers N              delivery worker pool size ($PROMPTGATE_WORKERS, default 4)
  --queue N                deliveries waiting for a worker before 503
                           ($PROMPTGATE_QUEUE, default 20000; at most 256 MiB
                           of bodies wait, a command comment is ~13 KB)
  --shutdown-timeout D     time to finish in-flight work on SIGTERM
                           ($PROMPTGATE_SHUTDOWN_TIMEOUT, default 30s)
  --log-level LEVEL        debug, info, warn or error ($PROMPTGATE_LOG_LEVEL, default info)
  --alertmanager-token-file PATH
                           file holding the bearer token that turns on
                           POST /alertmanager; or set $PROMPTGATE_ALERTMANAGER_TOKEN.
                           Unset, the endpoint is off (404)
  --auto-poll D            how often to look for due /rollout <flag> auto steps
                           ($PROMPTGATE_AUTO_POLL, default 15s); the steps
                           themselves follow rollout.interval
  --online-workers N       online grading workers ($PROMPTGATE_ONLINE_WORKERS, default 4)
  --online-queue N         sampled answers waiting for a grader; past it they are
                           dropped and counted ($PROMPTGATE_ONLINE_QUEUE, default 1000)
  --otlp-rate N            OTLP exports a second per repository, twice that at
                           once; past it POST /v1/traces answers 429 with
                           Retry-After ($PROMPTGATE_OTLP_RATE, default 50)

Online evaluation (docs/online.md): set $PROMPTGATE_OTLP_TOKENS to
owner/repo=TOKEN pairs to receive OTLP traces at POST /v1/traces; each token
counts only for its repository. $PROMPTGATE_JUDGE_KEYS (owner/repo=VARIABLE
pairs) lets a repository's llm-rubric judge use serve's $VARIABLE as its key.
GET /metrics serves Prometheus metrics.
`

// Usage is the --help text of `promptgate serve`.
func Usage() string { return usageText }

// ConfigFromEnv builds a Config from the environment, overridden by flags in args
// (the arguments after "serve"). It returns flag.ErrHelp for -h/--help, after which
// the caller prints Usage(). Errors name the variable or flag at fault.
func ConfigFromEnv(getenv func(string) string, args []string) (Config, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	appID := fs.String("app-id", getenv("PROMPTGATE_APP_ID"), "")
	keyFile := fs.String("private-key-file", getenv("PROMPTGATE_PRIVATE_KEY_FILE"), "")
	secretFile := fs.String("webhook-secret-file", "", "")
	listen := fs.String("listen", env("PROMPTGATE_LISTEN", DefaultListen), "")
	apiURL := fs.String("api-url", env("GITHUB_API_URL", DefaultAPIURL), "")
	workers := fs.String("workers", env("PROMPTGATE_WORKERS", strconv.Itoa(webhook.DefaultWorkers)), "")
	queue := fs.String("queue", env("PROMPTGATE_QUEUE", strconv.Itoa(webhook.DefaultQueueSize)), "")
	shutdown := fs.String("shutdown-timeout", env("PROMPTGATE_SHUTDOWN_TIMEOUT", "30s"), "")
	level := fs.String("log-level", env("PROMPTGATE_LOG_LEVEL", "info"), "")
	amTokenFile := fs.String("alertmanager-token-file", "", "")
	autoPoll := fs.String("auto-poll", env("PROMPTGATE_AUTO_POLL", DefaultAutoPoll.String()), "")
	onlineWorkers := fs.String("online-workers", getenv("PROMPTGATE_ONLINE_WORKERS"), "")
	onlineQueue := fs.String("online-queue", getenv("PROMPTGATE_ONLINE_QUEUE"), "")
	otlpRate := fs.String("otlp-rate", getenv("PROMPTGATE_OTLP_RATE"), "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("parse serve flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}

	var c Config
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	id, err := strconv.ParseInt(strings.TrimSpace(*appID), 10, 64)
	if err != nil || id <= 0 {
		bad("--app-id / PROMPTGATE_APP_ID must be the App's numeric ID, got %q", *appID)
	}
	c.AppID = id
	switch {
	case *keyFile != "":
		key, err := os.ReadFile(*keyFile)
		if err != nil {
			bad("read private key: %w", err)
		}
		c.PrivateKey = key
	case getenv("PROMPTGATE_PRIVATE_KEY") != "":
		// Platforms that cannot hold newlines in env often store "\n" escapes.
		c.PrivateKey = []byte(strings.ReplaceAll(getenv("PROMPTGATE_PRIVATE_KEY"), `\n`, "\n"))
	default:
		bad("set --private-key-file, PROMPTGATE_PRIVATE_KEY_FILE or PROMPTGATE_PRIVATE_KEY")
	}
	switch {
	case *secretFile != "":
		s, err := os.ReadFile(*secretFile)
		if err != nil {
			bad("read webhook secret: %w", err)
		}
		c.WebhookSecret = []byte(strings.TrimRight(string(s), "\r\n"))
	case getenv("PROMPTGATE_WEBHOOK_SECRET") != "":
		c.WebhookSecret = []byte(getenv("PROMPTGATE_WEBHOOK_SECRET"))
	default:
		bad("set PROMPTGATE_WEBHOOK_SECRET or --webhook-secret-file: unsigned deliveries are never accepted")
	}
	switch {
	case *amTokenFile != "":
		tok, err := os.ReadFile(*amTokenFile)
		if err != nil {
			bad("read Alertmanager token: %w", err)
		}
		c.AlertmanagerToken = []byte(strings.TrimSpace(string(tok)))
		if len(c.AlertmanagerToken) == 0 {
			bad("--alertmanager-token-file %s is empty", *amTokenFile)
		}
	case getenv("PROMPTGATE_ALERTMANAGER_TOKEN") != "":
		c.AlertmanagerToken = []byte(strings.TrimSpace(getenv("PROMPTGATE_ALERTMANAGER_TOKEN")))
	}
	c.Listen = *listen
	c.APIURL = strings.TrimRight(*apiURL, "/")
	if err := checkAPIURL(c.APIURL); err != nil {
		bad("--api-url / GITHUB_API_URL: %w", err)
	}
	if c.Workers, err = strconv.Atoi(*workers); err != nil || c.Workers < 1 {
		bad("--workers / PROMPTGATE_WORKERS must be a positive integer, got %q", *workers)
	}
	if c.QueueSize, err = strconv.Atoi(*queue); err != nil || c.QueueSize < 1 {
		bad("--queue / PROMPTGATE_QUEUE must be a positive integer, got %q", *queue)
	}
	if c.ShutdownTimeout, err = time.ParseDuration(*shutdown); err != nil || c.ShutdownTimeout <= 0 {
		bad("--shutdown-timeout / PROMPTGATE_SHUTDOWN_TIMEOUT must be a positive duration, got %q", *shutdown)
	}
	if c.AutoPoll, err = time.ParseDuration(*autoPoll); err != nil || c.AutoPoll < 100*time.Millisecond {
		bad("--auto-poll / PROMPTGATE_AUTO_POLL must be a duration of at least 100ms, got %q", *autoPoll)
	}
	if c.OTLPTokens, err = online.ParseTokens(getenv("PROMPTGATE_OTLP_TOKENS")); err != nil {
		bad("%w", err)
	}
	if c.JudgeKeys, err = online.ParseJudgeKeys(getenv("PROMPTGATE_JUDGE_KEYS"), getenv); err != nil {
		bad("%w", err)
	}
	// Unset, they stay 0: online's defaults.
	if *onlineWorkers != "" {
		if c.OnlineWorkers, err = strconv.Atoi(*onlineWorkers); err != nil || c.OnlineWorkers < 1 {
			bad("--online-workers / PROMPTGATE_ONLINE_WORKERS must be a positive integer, got %q", *onlineWorkers)
		}
	}
	if *onlineQueue != "" {
		if c.OnlineQueue, err = strconv.Atoi(*onlineQueue); err != nil || c.OnlineQueue < 1 {
			bad("--online-queue / PROMPTGATE_ONLINE_QUEUE must be a positive integer, got %q", *onlineQueue)
		}
	}
	if *otlpRate != "" {
		if c.OTLPRate, err = strconv.ParseFloat(*otlpRate, 64); err != nil || !(c.OTLPRate > 0) || math.IsInf(c.OTLPRate, 0) {
			bad("--otlp-rate / PROMPTGATE_OTLP_RATE must be a positive number of exports a second, got %q", *otlpRate)
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		bad("--log-level / PROMPTGATE_LOG_LEVEL: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("configure serve: %w", err)
	}
	return c, nil
}

// checkAPIURL accepts an https URL, or plain http only to this machine (a test
// server or a local proxy). The App sends its JWT and installation tokens to
// this URL, so anything else would hand them to the network in clear text.
func checkAPIURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return errors.New("must be an https URL such as https://api.github.com or https://HOST/api/v3")
	}
	if u.User != nil {
		return errors.New("must not carry credentials in the URL")
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return fmt.Errorf("plain http is allowed only to localhost, not to %s: tokens would cross the network unencrypted; use https", u.Hostname())
	}
	return nil
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
