package githubapp

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The deployment examples under deploy/ must start serve as written: these tests
// hand their arguments and environment to ConfigFromEnv, with the secret files
// they mount made real, and check what the platform needs around them.

func secretDir(t *testing.T) string {
	t.Helper()
	_, pemBytes := appKey(t)
	dir := t.TempDir()
	for name, data := range map[string][]byte{"private-key.pem": pemBytes, "webhook-secret": []byte("s3cret")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func envFunc(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sContainer struct {
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name  string `yaml:"name"`
		Value string `yaml:"value"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	ReadinessProbe  k8sProbe `yaml:"readinessProbe"`
	LivenessProbe   k8sProbe `yaml:"livenessProbe"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool  `yaml:"readOnlyRootFilesystem"`
	} `yaml:"securityContext"`
	VolumeMounts []struct {
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

func TestKubernetesDeploymentStartsServe(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../../deploy/kubernetes/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Spec struct {
			Template struct {
				Spec struct {
					TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
					SecurityContext               struct {
						RunAsNonRoot bool `yaml:"runAsNonRoot"`
						RunAsUser    int  `yaml:"runAsUser"`
					} `yaml:"securityContext"`
					Containers []k8sContainer `yaml:"containers"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("containers = %d, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("args = %q, want serve first", c.Args)
	}
	dir := secretDir(t)
	mount := c.VolumeMounts[0].MountPath
	args := make([]string, 0, len(c.Args)-1)
	for _, a := range c.Args[1:] {
		args = append(args, strings.ReplaceAll(a, mount, dir))
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	cfg, err := ConfigFromEnv(envFunc(env), args)
	if err != nil {
		t.Fatalf("serve refuses the Deployment's arguments: %v", err)
	}
	_, port, _ := strings.Cut(cfg.Listen, ":")
	if len(c.Ports) != 1 || strconv.Itoa(c.Ports[0].ContainerPort) != port {
		t.Errorf("containerPort %v does not match --listen %s", c.Ports, cfg.Listen)
	}
	for _, p := range []k8sProbe{c.ReadinessProbe, c.LivenessProbe} {
		if p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port != c.Ports[0].Name {
			t.Errorf("probe = %+v, want /healthz on the named port", p.HTTPGet)
		}
	}
	if grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.ShutdownTimeout {
		t.Errorf("terminationGracePeriodSeconds %s must exceed --shutdown-timeout %s, or in-flight commands are killed", grace, cfg.ShutdownTimeout)
	}
	if !pod.SecurityContext.RunAsNonRoot || pod.SecurityContext.RunAsUser != dockerUser(t) {
		t.Errorf("pod runs as %+v, want non-root user %d as in the Dockerfile", pod.SecurityContext, dockerUser(t))
	}
	if !c.SecurityContext.ReadOnlyRootFilesystem || c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("container securityContext = %+v, want a read-only root and no privilege escalation", c.SecurityContext)
	}
}

// dockerUser is the numeric USER of the Dockerfile's final stage, which must be
// a static distroless image.
func dockerUser(t *testing.T) int {
	t.Helper()
	raw, err := os.ReadFile("../../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)
	last := text[strings.LastIndex(text, "\nFROM "):]
	if !strings.HasPrefix(last, "\nFROM gcr.io/distroless/static") {
		t.Errorf("final stage %q, want a distroless static image", strings.SplitN(last, "\n", 3)[1])
	}
	if !strings.Contains(text, "CGO_ENABLED=0") {
		t.Error("the binary must be static: CGO_ENABLED=0")
	}
	for _, line := range strings.Split(last, "\n") {
		if u, ok := strings.CutPrefix(line, "USER "); ok {
			n, err := strconv.Atoi(strings.Split(u, ":")[0])
			if err != nil || n == 0 {
				t.Fatalf("USER %q: want a numeric non-root user", u)
			}
			return n
		}
	}
	t.Fatal("the final stage sets no USER")
	return 0
}

func TestSystemdUnitStartsServe(t *testing.T) {
	t.Parallel()
	unit := readKV(t, "../../../deploy/systemd/promptgate.service")
	env := readKV(t, "../../../deploy/systemd/promptgate.env")
	exec := strings.Fields(unit["ExecStart"])
	if len(exec) < 2 || exec[1] != "serve" {
		t.Fatalf("ExecStart = %q, want promptgate serve", unit["ExecStart"])
	}
	dir := secretDir(t)
	args := make([]string, 0, len(exec)-2)
	for _, a := range exec[2:] {
		args = append(args, strings.ReplaceAll(a, "%d", dir)) // %d: systemd's credentials folder
	}
	cfg, err := ConfigFromEnv(envFunc(env), args)
	if err != nil {
		t.Fatalf("serve refuses the unit's ExecStart and EnvironmentFile: %v", err)
	}
	if !strings.HasPrefix(cfg.Listen, "127.0.0.1:") {
		t.Errorf("--listen %s: behind a TLS proxy, serve should listen on loopback", cfg.Listen)
	}
	stop, err := time.ParseDuration(unit["TimeoutStopSec"])
	if err != nil || stop <= cfg.ShutdownTimeout {
		t.Errorf("TimeoutStopSec %q must exceed --shutdown-timeout %s", unit["TimeoutStopSec"], cfg.ShutdownTimeout)
	}
	if unit["DynamicUser"] != "yes" || unit["NoNewPrivileges"] != "yes" {
		t.Errorf("unit runs without DynamicUser/NoNewPrivileges: %v", unit)
	}
}

// readKV reads KEY=VALUE lines (a systemd unit or an environment file); a key
// that repeats keeps its last value.
func readKV(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			kv[k] = v
		}
	}
	return kv
}
