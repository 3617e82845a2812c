package change

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

// flagSet is a flagd flag file reduced to what change detection needs.
type flagSet struct {
	// flags maps a flag key to its definition.
	flags map[string]flagDef
	// evaluators is the canonical "$evaluators" section: shared targeting rules
	// any flag may $ref.
	evaluators string
}

type flagDef struct {
	// canonical is the whole definition re-encoded with sorted keys.
	canonical string
	// refs are the variant values that are strings: prompt keys, for the flags
	// promptgate rolls out.
	refs []string
}

// parseFlags reads a flagd file, JSON or YAML, generically: only flag keys,
// their variants and whether anything in them changed matter here. A file that
// does not parse yields no flags, so every flag of the other side counts as
// changed.
func parseFlags(data []byte) flagSet {
	fs := flagSet{flags: map[string]flagDef{}}
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
	fs.evaluators = canonical(root["$evaluators"])
	flags, _ := asMap(root["flags"])
	for key, v := range flags {
		def := flagDef{canonical: canonical(v)}
		if m, ok := asMap(v); ok {
			variants, _ := asMap(m["variants"])
			for _, name := range slices.Sorted(maps.Keys(variants)) {
				if s, ok := variants[name].(string); ok {
					def.refs = append(def.refs, s)
				}
			}
		}
		fs.flags[key] = def
	}
	return fs
}

// flags re-projects the prompts served by every flag that differs between base
// and head: a new split, new variants, new targeting or a changed default.
func (d *detector) flags() {
	if bytes.Equal(d.base.Flags, d.head.Flags) {
		return
	}
	b, h := parseFlags(d.base.Flags), parseFlags(d.head.Flags)
	keys := slices.Collect(maps.Keys(b.flags))
	keys = append(keys, slices.Collect(maps.Keys(h.flags))...)
	slices.Sort(keys)
	for _, key := range slices.Compact(keys) {
		bf, bok := b.flags[key]
		hf, hok := h.flags[key]
		if bok && hok && bf.canonical == hf.canonical && b.evaluators == h.evaluators {
			continue
		}
		reason := Reason(fmt.Sprintf(string(ReasonFlagChanged), key))
		for _, ref := range append(slices.Clone(bf.refs), hf.refs...) {
			if d.known(ref) {
				d.addReproject(ref, reason)
			}
		}
	}
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

// maxDepth bounds recursion on hostile input. encoding/json and yaml.v3 refuse
// deeper documents already, so no real flag file reaches it.
const maxDepth = 10000

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
