package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/promptgate/promptgate/internal/app/manifest"
	"github.com/promptgate/promptgate/internal/ghclient"
)

const appHelp = `Usage: promptgate app manifest --webhook-url URL [flags]

Registers promptgate's GitHub App with GitHub's manifest flow, so nobody copies
permissions into a form by hand:

  1. promptgate serves a one-page form on 127.0.0.1 and prints its address;
  2. you open it and press "Register on GitHub": the browser posts the App
     manifest (the least permissions serve needs, see app.yml) to GitHub, where
     you confirm the App's name;
  3. GitHub sends the browser back to 127.0.0.1 with a one-hour code, which
     promptgate exchanges (POST /app-manifests/{code}/conversions) for the App's
     ID, private key and webhook secret, written to --out with mode 0600:
       promptgate-app.json   everything GitHub returned
       private-key.pem       for serve --private-key-file
       webhook-secret        for serve --webhook-secret-file
     It never overwrites these files.

Examples:
  promptgate app manifest --webhook-url https://promptgate.example.com/webhook
  promptgate app manifest --webhook-url https://pg.acme.dev/webhook --org acme --teams
  promptgate app manifest --webhook-url https://pg.acme.dev/webhook --print   # the JSON only
  promptgate app manifest --webhook-url https://ghes.acme.dev/pg/webhook \
      --github-url https://ghes.acme.dev --api-url https://ghes.acme.dev/api/v3

Then: install the App on your repositories (the page links to it) and run
  promptgate serve --app-id ID --private-key-file private-key.pem --webhook-secret-file webhook-secret
docs/deploy.md shows the container, Kubernetes and systemd setups.
`

// runApp is `promptgate app <subcommand>`; today the one subcommand is manifest.
func runApp(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(env.Stdout, appHelp)
		if len(args) == 0 {
			return usageError{msg: "app: missing subcommand (promptgate app manifest --help)"}
		}
		return flag.ErrHelp
	}
	if args[0] != "manifest" {
		return usageError{msg: fmt.Sprintf("app: unknown subcommand %q (promptgate app manifest --help)", args[0])}
	}
	return runAppManifest(ctx, args[1:], env)
}

func runAppManifest(ctx context.Context, args []string, env Env) error {
	fs := newFlagSet("app manifest", appHelp, env)
	webhookURL := fs.String("webhook-url", "", "public HTTPS address of serve's POST /webhook (required)")
	name := fs.String("name", "promptgate", "the App's name on GitHub (editable on GitHub's form)")
	org := fs.String("org", "", "register the App under this organisation instead of your user")
	teams := fs.Bool("teams", false, "also ask for members:read, which rollout.teams needs")
	public := fs.Bool("public", false, "let other accounts install the App")
	githubURL := fs.String("github-url", "https://github.com", "GitHub's web address (GHES: https://HOST)")
	apiURL := fs.String("api-url", cmp.Or(env.Getenv("GITHUB_API_URL"), "https://api.github.com"), "GitHub REST API root ($GITHUB_API_URL; GHES: https://HOST/api/v3)")
	listen := fs.String("listen", "127.0.0.1:0", "loopback address for the one-page flow")
	out := fs.String("out", ".", "folder for the credential files (mode 0600)")
	printOnly := fs.Bool("print", false, "print the manifest JSON and exit")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		return usageError{msg: fmt.Sprintf("app manifest: --listen %q: the flow receives the App's private key, so it listens on loopback only (127.0.0.1:PORT)", *listen)}
	}
	if *printOnly {
		m, err := manifest.New(manifest.Options{Name: *name, WebhookURL: *webhookURL, Teams: *teams, Public: *public})
		if err != nil {
			return usageError{msg: "app manifest: " + err.Error()}
		}
		fmt.Fprintln(env.Stdout, m.JSON())
		return nil
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("app manifest: listen: %w", err)
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()
	m, err := manifest.New(manifest.Options{Name: *name, WebhookURL: *webhookURL, RedirectURL: base + "/callback", Teams: *teams, Public: *public})
	if err != nil {
		return usageError{msg: "app manifest: " + err.Error()}
	}
	// No token: the conversion authenticates with the code alone.
	client, err := ghclient.New("", *apiURL, nil)
	if err != nil {
		return usageError{msg: fmt.Sprintf("app manifest: --api-url %q is not a URL", *apiURL)}
	}
	flow, err := manifest.NewFlow(m, manifest.FlowOptions{GitHubURL: *githubURL, Org: *org, Client: client, OutDir: *out})
	if err != nil {
		return usageError{msg: "app manifest: " + err.Error()}
	}
	srv := &http.Server{Handler: flow.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // Serve returns when Shutdown below runs
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(env.Stdout, "Open %s/ in your browser and press \"Register on GitHub\". Waiting for GitHub (Ctrl-C to stop)…\n", base)
	select {
	case creds := <-flow.Done():
		fmt.Fprintf(env.Stdout, "Registered %s (App ID %d). Credentials in %s: %s, %s, %s (mode 0600).\n",
			creds.Name, creds.ID, *out, manifest.CredentialsFile, manifest.PrivateKeyFile, manifest.WebhookSecretFile)
		fmt.Fprintf(env.Stdout, "Install it: %s/installations/new\nRun: promptgate serve --app-id %d --private-key-file %s --webhook-secret-file %s\n",
			creds.HTMLURL, creds.ID, manifest.PrivateKeyFile, manifest.WebhookSecretFile)
		return nil
	case <-ctx.Done():
		return errors.Join(errors.New("app manifest: stopped before GitHub sent the browser back; nothing was written"), context.Canceled)
	}
}
