package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestInstallScript runs scripts/install.sh against a static release mirror on
// loopback (PROMPTGATE_RELEASES): the latest and a pinned release install after
// their checksum is verified; a tampered archive or a missing checksum line
// installs nothing.
func TestInstallScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"sh", "curl", "tar", "sha256sum", "awk", "uname"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	if out, _ := exec.Command("uname", "-sm").Output(); strings.TrimSpace(string(out)) != "Linux x86_64" {
		t.Skipf("the mirror holds linux/amd64 only; this is %s", out)
	}
	mirror := t.TempDir()
	put := func(dir, name string, data []byte) {
		p := filepath.Join(mirror, dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v13, sum13 := releaseAsset(t, "v1.3.0")
	v12, sum12 := releaseAsset(t, "v1.2.0")
	put("latest/download", "promptgate_linux_amd64.tar.gz", v13)
	put("latest/download", "checksums.txt", []byte("0000  promptgate_darwin_arm64.tar.gz\n"+sum13))
	put("download/v1.2.0", "promptgate_linux_amd64.tar.gz", v12)
	put("download/v1.2.0", "checksums.txt", []byte(sum12))
	put("download/v1.1.0", "promptgate_linux_amd64.tar.gz", v12) // archive of another release: checksum differs
	put("download/v1.1.0", "checksums.txt", []byte(sum13))
	put("download/v1.0.0", "promptgate_linux_amd64.tar.gz", v12)
	put("download/v1.0.0", "checksums.txt", []byte("0000  promptgate_darwin_arm64.tar.gz\n"))
	srv := httptest.NewServer(http.FileServer(http.Dir(mirror)))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, version string
		wantOK        bool
		wantOut       string
	}{
		{"latest", "", true, "installed promptgate v1.3.0"},
		{"pinned", "v1.2.0", true, "installed promptgate v1.2.0"},
		{"tampered archive", "v1.1.0", false, "checksum mismatch"},
		{"no checksum line", "v1.0.0", false, "lists no promptgate_linux_amd64.tar.gz"},
		{"no such release", "v9.9.9", false, "could not download"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "bin")
			cmd := exec.Command("sh", "../../scripts/install.sh")
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
				"PROMPTGATE_RELEASES=" + srv.URL, "PROMPTGATE_VERSION=" + tt.version, "PROMPTGATE_INSTALL_DIR=" + dir}
			out, err := cmd.CombinedOutput()
			if (err == nil) != tt.wantOK || !strings.Contains(string(out), tt.wantOut) {
				t.Fatalf("install.sh: err=%v, want ok=%v and %q in:\n%s", err, tt.wantOK, tt.wantOut, out)
			}
			_, statErr := os.Stat(filepath.Join(dir, "promptgate"))
			if tt.wantOK != (statErr == nil) {
				t.Errorf("installed binary present = %v, want %v", statErr == nil, tt.wantOK)
			}
		})
	}
}
