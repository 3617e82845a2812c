package main

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

// TestLoadgenRuns checks the generator's function on a short run: every delivery is
// acknowledged by both handlers and the report has both rows. The ratio gate is
// left to scripts/load-serve.sh, because on two shared cores a short run's ratios
// are too noisy to gate a test on.
func TestLoadgenRuns(t *testing.T) {
	o := options{n: 64, conns: 4, size: 13000, batch: 16, warmup: 16,
		payload: "../../testdata/webhooks/issue_comment.created.with-installation.json", minRate: 0, maxP99: 1e9}
	res, err := measure(o)
	if err != nil {
		t.Fatal(err)
	}
	if res.serve.errors != 0 || res.ref.errors != 0 {
		t.Errorf("errors: serve %d, reference %d", res.serve.errors, res.ref.errors)
	}
	if res.bytes < 12000 || res.bytes > 15000 {
		t.Errorf("delivery size %d, want about 13 KB", res.bytes)
	}
	if res.serve.rate <= 0 || res.ref.rate <= 0 || res.serve.p99 <= 0 {
		t.Errorf("empty measurements: %+v", res)
	}
	var out bytes.Buffer
	report(&out, o, res)
	for _, want := range []string{"reference", "serve", "serve/reference: rate"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadSignatureIsRefusedByReference(t *testing.T) {
	ds, err := buildDeliveries(options{n: 1, size: 13000, payload: "../../testdata/webhooks/issue_comment.created.with-installation.json"})
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := start(http.HandlerFunc(reference))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	tg := newTarget("reference", url, 1)
	d := ds[0]
	d.sig = "sha256=" + strings.Repeat("0", 64)
	if _, ok := tg.post(d); ok {
		t.Error("reference accepted a bad signature")
	}
	if _, ok := tg.post(ds[0]); !ok {
		t.Error("reference refused a good delivery")
	}
}
