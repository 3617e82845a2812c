// Package alertmanager receives Prometheus Alertmanager webhook notifications
// (payload version 4) at POST /alertmanager. A firing alert labelled
// promptgate_flag and promptgate_repo asks for that flag to be rolled back; the
// package parses and authenticates the notification and hands each flag, once,
// to a Rollbacker.
package alertmanager

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Labels that address a rollback.
const (
	LabelFlag = "promptgate_flag"
	LabelRepo = "promptgate_repo"
)

// Payload is the Alertmanager webhook body, version 4.
type Payload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []Alert           `json:"alerts"`
}

// Alert is one alert in a notification.
type Alert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Target is one flag to roll back, with the alert that asked for it.
type Target struct {
	Owner, Repo, Flag string
	// AlertName and Summary are the first firing alert's alertname label and
	// summary (or description) annotation: untrusted text, escape before showing.
	AlertName, Summary string
	// Keys identify the firing alerts (fingerprint and start), for de-duplication.
	Keys []string
}

// Skipped is a firing alert that cannot be acted on, and why.
type Skipped struct {
	AlertName, Reason string
}

var (
	repoName = regexp.MustCompile(`^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$`)
	flagName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

// Parse decodes a version 4 notification. It is pure and never panics.
func Parse(body []byte) (Payload, error) {
	var p Payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&p); err != nil {
		return Payload{}, fmt.Errorf("decode Alertmanager payload: %w", err)
	}
	if p.Version != "4" {
		return Payload{}, fmt.Errorf("Alertmanager payload version %q, want \"4\"", p.Version)
	}
	return p, nil
}

// Targets returns the flags that firing alerts ask to roll back, one per repo
// and flag however many alerts name it, in a stable order. Resolved alerts
// and alerts without both labels are not targets; alerts with malformed labels
// are returned as skipped.
func (p Payload) Targets() ([]Target, []Skipped) {
	byKey := map[string]*Target{}
	var skipped []Skipped
	for _, a := range p.Alerts {
		if a.Status != "firing" {
			continue
		}
		flag, repo := a.Labels[LabelFlag], a.Labels[LabelRepo]
		if flag == "" {
			continue
		}
		name := a.Labels["alertname"]
		switch {
		case !repoName.MatchString(repo):
			skipped = append(skipped, Skipped{name, fmt.Sprintf("label %s %q is not owner/name", LabelRepo, repo)})
			continue
		case !flagName.MatchString(flag):
			skipped = append(skipped, Skipped{name, fmt.Sprintf("label %s %q is not a flag key", LabelFlag, flag)})
			continue
		}
		owner, rname, _ := strings.Cut(repo, "/")
		k := strings.ToLower(repo) + "\x00" + flag
		t, ok := byKey[k]
		if !ok {
			summary := a.Annotations["summary"]
			if summary == "" {
				summary = a.Annotations["description"]
			}
			t = &Target{Owner: owner, Repo: rname, Flag: flag, AlertName: name, Summary: summary}
			byKey[k] = t
		}
		t.Keys = append(t.Keys, a.Fingerprint+"@"+a.StartsAt.UTC().Format(time.RFC3339Nano))
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]Target, 0, len(keys))
	for _, k := range keys {
		out = append(out, *byKey[k])
	}
	return out, skipped
}
