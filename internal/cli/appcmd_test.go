package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestAppManifestCommand covers the command's own decisions; the flow itself
// (form, state, code exchange, 0600 files) is tested in internal/app/manifest.
func TestAppManifestCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"print", []string{"app", "manifest", "--print", "--webhook-url", "https://pg.acme.dev/webhook", "--teams"}, 0, `"members": "read"`, ""},
		{"no webhook url", []string{"app", "manifest", "--print"}, 2, "", "--webhook-url"},
		{"plain http to a public host", []string{"app", "manifest", "--print", "--webhook-url", "http://pg.acme.dev/webhook"}, 2, "", "use https"},
		{"listen beyond loopback", []string{"app", "manifest", "--webhook-url", "https://pg.acme.dev/webhook", "--listen", "0.0.0.0:0"}, 2, "", "loopback only"},
		{"unknown subcommand", []string{"app", "install"}, 2, "", `unknown subcommand "install"`},
		{"no subcommand", []string{"app"}, 2, "Usage: promptgate app manifest", "missing subcommand"},
		{"help", []string{"app", "manifest", "--help"}, 0, "POST /app-manifests/{code}/conversions", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := Main(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.wantCode {
				t.Fatalf("exit = %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, stdout.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, stderr.String())
			}
		})
	}
	var stdout bytes.Buffer
	Main(context.Background(), []string{"app", "manifest", "--print", "--webhook-url", "https://pg.acme.dev/webhook"}, func(string) string { return "" }, &stdout, &bytes.Buffer{})
	var m map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &m); err != nil {
		t.Fatalf("--print is not JSON: %v\n%s", err, stdout.String())
	}
	if m["hook_attributes"].(map[string]any)["url"] != "https://pg.acme.dev/webhook" {
		t.Errorf("hook url = %v", m["hook_attributes"])
	}
}
