package check

import (
	"encoding/json"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/diff"
)

// flagFile is the part of a flagd document the check reads: each flag's variants
// (whose values name prompt variants, "name" or "name.variant") and its split.
type flagFile struct {
	Flags map[string]struct {
		Variants       map[string]any `json:"variants" yaml:"variants"`
		DefaultVariant string         `json:"defaultVariant" yaml:"defaultVariant"`
		Targeting      map[string]any `json:"targeting" yaml:"targeting"`
		Metadata       map[string]any `json:"metadata" yaml:"metadata"`
	} `json:"flags" yaml:"flags"`
}

// flagShares reads which prompt variants each flag splits traffic between, and the
// rollout share, keyed by both prompt keys. A document it cannot read yields none:
// the rollout editor and flagd itself validate the file.
func flagShares(doc []byte, file string) map[string]diff.FlagShare {
	var ff flagFile
	var err error
	if ext := path.Ext(file); ext == ".yaml" || ext == ".yml" {
		err = yaml.Unmarshal(doc, &ff)
	} else {
		err = json.Unmarshal(doc, &ff)
	}
	if err != nil {
		return nil
	}
	out := map[string]diff.FlagShare{}
	for name, f := range ff.Flags {
		stableRef, _ := f.Variants[f.DefaultVariant].(string)
		rolloutVariant, _ := f.Metadata["rolloutVariant"].(string)
		if rolloutVariant == "" {
			for v := range f.Variants {
				if v != f.DefaultVariant {
					if rolloutVariant != "" { // several candidates and none named: ambiguous
						rolloutVariant = ""
						break
					}
					rolloutVariant = v
				}
			}
		}
		rolloutRef, _ := f.Variants[rolloutVariant].(string)
		if stableRef == "" || rolloutRef == "" {
			continue
		}
		fs := diff.FlagShare{Flag: name, Stable: stableRef, Rollout: rolloutRef,
			Pct: fractionalPct(f.Targeting, f.DefaultVariant, rolloutVariant)}
		out[stableRef] = fs
		out[rolloutRef] = fs
	}
	return out
}

// fractionalPct is the rollout variant's share of a flagd `fractional` split, in
// percent; 0 when the flag has no split.
func fractionalPct(targeting map[string]any, stable, rollout string) float64 {
	args, _ := targeting["fractional"].([]any)
	var total, share float64
	for _, a := range args {
		pair, ok := a.([]any)
		if !ok || len(pair) != 2 {
			continue
		}
		name, _ := pair[0].(string)
		w := number(pair[1])
		total += w
		if name == rollout {
			share += w
		}
	}
	if total <= 0 {
		return 0
	}
	return share / total * 100
}

func number(v any) float64 {
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return 0
}

// splitRef turns a prompt ref "support/summarize.concise" into name and variant.
func splitRef(ref string) (string, string) {
	dir, base := path.Split(ref)
	if i := strings.Index(base, "."); i >= 0 {
		return dir + base[:i], base[i+1:]
	}
	return ref, ""
}
