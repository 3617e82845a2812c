package flagd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Summary is a flags file reduced to what change detection compares: each
// flag's definition in a canonical encoding and the prompt keys it may serve.
type Summary struct {
	// Flags maps a flag key to its summary.
	Flags map[string]FlagSummary
	// Evaluators is the canonical "$evaluators" section: shared targeting rules
	// any flag may $ref.
	Evaluators string
}

// FlagSummary is one flag of a Summary.
type FlagSummary struct {
	// Canonical is the whole definition re-encoded with sorted keys, so two
	// definitions differ only when their content does.
	Canonical string
	// Refs are the variant values that are strings, in variant-name order:
	// prompt keys, for the flags promptgate rolls out.
	Refs []string
}

// Summarize reads a flags file, JSON or YAML, generically: only flag keys,
// their variants and whether anything in them changed matter here. Unlike
// the editor it neither validates nor needs the file name, because a change
// must be seen even in a file flagd would refuse. A file that does not parse
// yields no flags, so every flag of the other side counts as changed.
func Summarize(data []byte) Summary {
	fs := Summary{Flags: map[string]FlagSummary{}}
	if len(bytes.TrimSpace(data)) == 0 {
		return fs
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		doc = nil
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return fs
		}
	}
	root, ok := asMap(doc)
	if !ok {
		return fs
	}
	fs.Evaluators = canonical(root["$evaluators"])
	flags, _ := asMap(root["flags"])
	for key, v := range flags {
		def := FlagSummary{Canonical: canonical(v)}
		if m, ok := asMap(v); ok {
			variants, _ := asMap(m["variants"])
			for _, name := range slices.Sorted(maps.Keys(variants)) {
				if s, ok := variants[name].(string); ok {
					def.Refs = append(def.Refs, s)
				}
			}
		}
		fs.Flags[key] = def
	}
	return fs
}

// FlagVariants is one flag's variants and defaultVariant, as ReadVariants
// decodes them.
type FlagVariants struct {
	// Variants maps a variant name to its value: a prompt key ("name" or
	// "name.variant") for the flags promptgate rolls out.
	Variants map[string]any `json:"variants" yaml:"variants"`
	// DefaultVariant is the variant flagd serves when no rule matches.
	DefaultVariant string `json:"defaultVariant" yaml:"defaultVariant"`
}

// ReadVariants decodes each flag's variants and defaultVariant, keyed by flag.
// It does not validate the file: a caller that needs the split asks ReadSplit,
// which does, and reports per flag why it cannot.
func ReadVariants(doc []byte, f Format) (map[string]FlagVariants, error) {
	var ff struct {
		Flags map[string]FlagVariants `json:"flags" yaml:"flags"`
	}
	var err error
	if f == YAML {
		err = yaml.Unmarshal(doc, &ff)
	} else {
		err = json.Unmarshal(doc, &ff)
	}
	if err != nil {
		return nil, fmt.Errorf("decode flags file: %w", err)
	}
	return ff.Flags, nil
}

// asMap returns v as a string-keyed map; YAML mappings with non-string keys
// have their keys formatted.
func asMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}

// canonical encodes a decoded JSON or YAML value with sorted keys, so only a
// change in content, not in formatting or key order, makes two encodings differ.
func canonical(v any) string {
	var b strings.Builder
	writeCanonical(&b, v, 0)
	return b.String()
}

// writeCanonical stops at maxDepth; encoding/json and yaml.v3 refuse deeper
// documents already, so no real flag file reaches it.
func writeCanonical(b *strings.Builder, v any, depth int) {
	if depth > maxDepth {
		b.WriteString("…")
		return
	}
	if m, ok := asMap(v); ok {
		keys := slices.Collect(maps.Keys(m))
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			writeCanonical(b, m[k], depth+1)
		}
		b.WriteByte('}')
		return
	}
	switch t := v.(type) {
	case []any:
		b.WriteByte('[')
		for i, e := range t {
			if i > 0 {
				b.WriteByte(',')
			}
			writeCanonical(b, e, depth+1)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(strconv.Quote(t))
	case float64:
		// JSON decodes every number to float64, YAML integers to int: one form.
		b.WriteString(strconv.FormatFloat(t, 'g', -1, 64))
	case int:
		b.WriteString(strconv.FormatFloat(float64(t), 'g', -1, 64))
	default:
		fmt.Fprintf(b, "%v", t)
	}
}
