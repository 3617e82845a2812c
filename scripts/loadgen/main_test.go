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

// TestBadSignatureIsRefused: both handlers the generator compares, the
// reference and serve's real one, refuse a bad signature and accept a good one,
// so the load figures compare handlers that do the same work.
func TestBadSignatureIsRefused(t *testing.T) {
	ds, err := buildDeliveries(options{n: 1, size: 13000, payload: "../../testdata/webhooks/issue_comment.created.with-installation.json"})
	if err != nil {
		t.Fatal(err)
	}
	handlers := []struct {
		name  string
		start func() (string, func(), error)
	}{
		{"reference", func() (string, func(), error) { return start(http.HandlerFunc(reference)) }},
		{"serve", startServe},
	}
	for _, hd := range handlers {
		t.Run(hd.name, func(t *testing.T) {
			url, stop, err := hd.start()
			if err != nil {
				t.Fatal(err)
			}
			defer stop()
			tg := newTarget(hd.name, url, 1)
			d := ds[0]
			d.sig = "sha256=" + strings.Repeat("0", 64)
			if _, ok := tg.post(d); ok {
				t.Errorf("%s accepted a bad signature", hd.name)
			}
			d.sig = ""
			if _, ok := tg.post(d); ok {
				t.Errorf("%s accepted a missing signature", hd.name)
			}
			if _, ok := tg.post(ds[0]); !ok {
				t.Errorf("%s refused a good delivery", hd.name)
			}
		})
	}
}
