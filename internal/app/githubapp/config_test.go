package githubapp

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/promptgate/promptgate/internal/app/webhook"
)

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, []byte("PEM-FROM-FILE"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secretFile, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := map[string]string{"PROMPTGATE_APP_ID": "42", "PROMPTGATE_PRIVATE_KEY": `-----BEGIN\nX`, "PROMPTGATE_WEBHOOK_SECRET": "s3cret"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		want    Config
		wantErr string
	}{
		{name: "env defaults", env: base, want: Config{AppID: 42, PrivateKey: []byte("-----BEGIN\nX"), WebhookSecret: []byte("s3cret"),
			Listen: ":8080", APIURL: "https://api.github.com", Workers: 4, QueueSize: webhook.DefaultQueueSize, ShutdownTimeout: 30 * time.Second, LogLevel: slog.LevelInfo, AutoPoll: DefaultAutoPoll}},
		{name: "GHES and tuning from env", env: with("GITHUB_API_URL", "https://ghe.example.com/api/v3/", "PROMPTGATE_LISTEN", ":9000",
			"PROMPTGATE_WORKERS", "8", "PROMPTGATE_LOG_LEVEL", "debug", "PROMPTGATE_AUTO_POLL", "2s"),
			want: Config{AppID: 42, PrivateKey: []byte("-----BEGIN\nX"), WebhookSecret: []byte("s3cret"), Listen: ":9000",
				APIURL: "https://ghe.example.com/api/v3", Workers: 8, QueueSize: webhook.DefaultQueueSize, ShutdownTimeout: 30 * time.Second, LogLevel: slog.LevelDebug, AutoPoll: 2 * time.Second}},
		{name: "flags override env", env: base, args: []string{"--app-id", "7", "--private-key-file", keyFile, "--webhook-secret-file", secretFile,
			"--listen", "127.0.0.1:1", "--queue", "9", "--shutdown-timeout", "5s"},
			want: Config{AppID: 7, PrivateKey: []byte("PEM-FROM-FILE"), WebhookSecret: []byte("from-file"), Listen: "127.0.0.1:1",
				APIURL: "https://api.github.com", Workers: 4, QueueSize: 9, ShutdownTimeout: 5 * time.Second, LogLevel: slog.LevelInfo, AutoPoll: DefaultAutoPoll}},
		{name: "alertmanager token from env", env: with("PROMPTGATE_ALERTMANAGER_TOKEN", "am-tok"), want: Config{AppID: 42, PrivateKey: []byte("-----BEGIN\nX"),
			WebhookSecret: []byte("s3cret"), Listen: ":8080", APIURL: "https://api.github.com", Workers: 4, QueueSize: webhook.DefaultQueueSize,
			ShutdownTimeout: 30 * time.Second, LogLevel: slog.LevelInfo, AlertmanagerToken: []byte("am-tok"), AutoPoll: DefaultAutoPoll}},
		{name: "alertmanager token from file", env: base, args: []string{"--alertmanager-token-file", secretFile}, want: Config{AppID: 42,
			PrivateKey: []byte("-----BEGIN\nX"), WebhookSecret: []byte("s3cret"), Listen: ":8080", APIURL: "https://api.github.com", Workers: 4,
			QueueSize: webhook.DefaultQueueSize, ShutdownTimeout: 30 * time.Second, LogLevel: slog.LevelInfo, AlertmanagerToken: []byte("from-file"), AutoPoll: DefaultAutoPoll}},
		{name: "nothing set", env: map[string]string{}, wantErr: "PROMPTGATE_APP_ID"},
		{name: "no secret", env: with("PROMPTGATE_WEBHOOK_SECRET", ""), wantErr: "PROMPTGATE_WEBHOOK_SECRET"},
		{name: "bad workers", env: with("PROMPTGATE_WORKERS", "0"), wantErr: "PROMPTGATE_WORKERS"},
		{name: "bad auto poll", env: base, args: []string{"--auto-poll", "1ms"}, wantErr: "--auto-poll / PROMPTGATE_AUTO_POLL must be a duration of at least 100ms"},
		{name: "bad api url", env: with("GITHUB_API_URL", "ghe.example.com"), wantErr: "GITHUB_API_URL"},
		{name: "missing key file", env: base, args: []string{"--private-key-file", filepath.Join(dir, "nope")}, wantErr: "read private key"},
		{name: "stray argument", env: base, args: []string{"extra"}, wantErr: "no arguments"},
		{name: "unknown flag", env: base, args: []string{"--nope"}, wantErr: "parse serve flags"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConfigFromEnv(func(k string) string { return tt.env[k] }, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
			if s := got.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "BEGIN") || strings.Contains(s, "from-file") || strings.Contains(s, "am-tok") {
				t.Errorf("String() leaks a secret: %s", s)
			}
		})
	}
}

func TestConfigHelp(t *testing.T) {
	t.Parallel()
	_, err := ConfigFromEnv(func(string) string { return "" }, []string{"--help"})
	if !errors.Is(err, flag.ErrHelp) {
		t.Errorf("err = %v, want flag.ErrHelp", err)
	}
	for _, name := range []string{"--app-id", "--private-key-file", "--webhook-secret-file", "--listen", "--api-url", "--workers", "--log-level", "--auto-poll", "PROMPTGATE_AUTO_POLL",
		"PROMPTGATE_APP_ID", "PROMPTGATE_PRIVATE_KEY", "PROMPTGATE_WEBHOOK_SECRET", "PROMPTGATE_LISTEN", "GITHUB_API_URL"} {
		if !strings.Contains(Usage(), name) {
			t.Errorf("Usage() does not mention %s", name)
		}
	}
}

func TestHasCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want bool
	}{
		{"/rollout a 5", true},
		{"LGTM\n  /rollback a", true},
		{"see https://x/y", false},
		{"", false},
		{"a/b\r\n/promptgate help", true},
	}
	for _, tt := range tests {
		if got := hasCommandLine(tt.body); got != tt.want {
			t.Errorf("hasCommandLine(%q) = %v", tt.body, got)
		}
	}
}

func TestNewServerRejectsBadKey(t *testing.T) {
	t.Parallel()
	_, err := NewServer(Config{AppID: 1, PrivateKey: []byte("not a key SECRETBYTES"), WebhookSecret: []byte("x")}, slog.New(slog.DiscardHandler))
	if err == nil || strings.Contains(err.Error(), "SECRETBYTES") {
		t.Errorf("err = %v, want a generic key error", err)
	}
}

func TestMayHoldCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		json string
		want bool
	}{
		{`{"body":"/rollout a 5"}`, true},
		{`{"body":"  /rollout a 5"}`, true},
		{`{"body":"LGTM\n/rollout a 5"}`, true},
		{`{"body":"LGTM\r\n\t /rollback a"}`, true},
		{`{"body":"LGTM\n\/rollback a"}`, true},
		{`{"body":"LGTM\u000a/rollback a"}`, true},
		{`{"body":"\u002frollout a"}`, true},
		{`{"url":"https://api.github.com/repos/o/r","body":"see a/b and c / d"}`, false},
		{`{"body":"no slash at all"}`, false},
	}
	for _, tt := range tests {
		if got := mayHoldCommand([]byte(tt.json)); got != tt.want {
			t.Errorf("mayHoldCommand(%s) = %v, want %v", tt.json, got, tt.want)
		}
	}
}

func TestFiltersMatchChatopsLineRules(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"ok\r/rollout a 5", "\u00a0/rollout a 5", "\f/rollback a", "x\r\n /promptgate help"} {
		if !hasCommandLine(body) {
			t.Errorf("hasCommandLine(%q) = false", body)
		}
		js, _ := json.Marshal(map[string]string{"body": body})
		if !mayHoldCommand(js) {
			t.Errorf("mayHoldCommand(%s) = false", js)
		}
	}
}

func TestAPIURLMustBeHTTPSOffThisMachine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url     string
		wantErr string
	}{
		{"https://api.github.com", ""},
		{"https://ghe.example.com/api/v3", ""},
		{"http://127.0.0.1:8080", ""},
		{"http://localhost:3000/api/v3", ""},
		{"http://[::1]:9", ""},
		{"http://ghe.example.com/api/v3", "plain http is allowed only to localhost"},
		{"http://10.0.0.5/api/v3", "plain http is allowed only to localhost"},
		{"http://127.0.0.1.evil.example", "plain http is allowed only to localhost"},
		{"https://user:hunter2@ghe.example.com", "must not carry credentials"},
		{"ftp://ghe.example.com", "must be an https URL"},
		{"ghe.example.com", "must be an https URL"},
	}
	for _, tt := range tests {
		err := checkAPIURL(tt.url)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("checkAPIURL(%q) = %v, want nil", tt.url, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("checkAPIURL(%q) = %v, want %q", tt.url, err, tt.wantErr)
		case err != nil && strings.Contains(err.Error(), "hunter2"):
			t.Errorf("checkAPIURL(%q) prints the password: %v", tt.url, err)
		}
	}
	env := map[string]string{"PROMPTGATE_APP_ID": "1", "PROMPTGATE_PRIVATE_KEY": "k", "PROMPTGATE_WEBHOOK_SECRET": "s",
		"GITHUB_API_URL": "http://ghe.example.com/api/v3"}
	if _, err := ConfigFromEnv(func(k string) string { return env[k] }, nil); err == nil || !strings.Contains(err.Error(), "GITHUB_API_URL") {
		t.Errorf("ConfigFromEnv with plain http to a remote host: err = %v", err)
	}
}
