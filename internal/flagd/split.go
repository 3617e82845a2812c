package flagd

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/promptgate/promptgate/internal/diag"
)

// maxWeight keeps weights where float64 still counts every integer exactly.
const maxWeight = 1 << 53

// managedFlag is a flag in the shape promptgate manages: a stable and a
// rollout variant, and optionally a fractional rule splitting them.
type managedFlag struct {
	name      string
	node      *node // the flag's object
	keyLine   int
	keyCol    int
	split     Split
	targeting *node // nil when the flag has none
	// buckets are the fractional's [variant, weight] arrays for the stable
	// (0) and rollout (1) variants; nil when absent.
	buckets [2]*bucket
}

type bucket struct {
	index  int   // position in the fractional's argument array
	arr    *node // the [variant, weight] array
	weight *node // nil when the weight is omitted (flagd then uses 1)
	w      float64
}

func (d *document) managed(name string) (*managedFlag, error) {
	flags := d.root.get("flags")
	i := flags.index(name)
	if i < 0 {
		return nil, notFound(name, flags)
	}
	fn := flags.vals[i]
	m := &managedFlag{name: name, node: fn, keyLine: flags.keyLines[i], keyCol: flags.keyCols[i]}
	m.split.Flag = name
	at := func(n *node) int {
		if n != nil {
			return n.line
		}
		return m.keyLine
	}

	variants := fn.get("variants")
	if variants == nil || variants.kind != kindObject || len(variants.keys) == 0 {
		return nil, diag.Errorf("", at(variants), "flag %q has no variants; promptgate rolls out between two variants", name)
	}
	dv := fn.get("defaultVariant")
	if dv == nil || dv.kind != kindString || dv.str == "" {
		return nil, diag.Errorf("", at(dv),
			"flag %q has no defaultVariant; promptgate treats the defaultVariant as the stable variant, so set one", name)
	}
	if variants.index(dv.str) < 0 {
		return nil, diag.Errorf("", dv.line, "flag %q: defaultVariant %q is not one of its variants (%s)",
			name, dv.str, strings.Join(variants.keys, ", "))
	}
	m.split.Stable = dv.str
	rollout, err := rolloutVariant(m, variants)
	if err != nil {
		return nil, err
	}
	m.split.Rollout = rollout

	m.targeting = fn.get("targeting")
	t := m.targeting
	if t == nil || t.kind == kindObject && len(t.keys) == 0 {
		return m, nil // no targeting: everyone gets the stable variant
	}
	if t.kind != kindObject || len(t.keys) != 1 || t.keys[0] != "fractional" {
		return nil, diag.Errorf("", t.line,
			"flag %q has targeting rules other than a single top-level \"fractional\"; promptgate can't merge a rollout into them safely. "+
				"Make targeting just {\"fractional\": [[%q, 100], [%q, 0]]}, or move the rollout to a flag of its own",
			name, m.split.Stable, m.split.Rollout)
	}
	if err := readBuckets(m, t.vals[0]); err != nil {
		return nil, err
	}
	return m, nil
}

func notFound(name string, flags *node) error {
	var known []string
	if flags != nil {
		known = slices.Sorted(slices.Values(flags.keys))
	}
	switch {
	case len(known) == 0:
		return fmt.Errorf("%w: %q (the flags file defines no flags)", ErrFlagNotFound, name)
	case len(known) > 10:
		return fmt.Errorf("%w: %q (the flags file defines %s, and %d more)", ErrFlagNotFound, name,
			strings.Join(known[:10], ", "), len(known)-10)
	default:
		return fmt.Errorf("%w: %q (the flags file defines %s)", ErrFlagNotFound, name, strings.Join(known, ", "))
	}
}

// rolloutVariant picks the variant being rolled out: metadata.rolloutVariant
// when set, else the only variant that is not the default.
func rolloutVariant(m *managedFlag, variants *node) (string, error) {
	stable := m.split.Stable
	if rv := m.node.get("metadata").get("rolloutVariant"); rv != nil {
		switch {
		case rv.kind != kindString:
			return "", diag.Errorf("", rv.line, "flag %q: metadata.rolloutVariant must be a variant name (a string)", m.name)
		case variants.index(rv.str) < 0:
			return "", diag.Errorf("", rv.line, "flag %q: metadata.rolloutVariant %q is not one of its variants (%s)",
				m.name, rv.str, strings.Join(variants.keys, ", "))
		case rv.str == stable:
			return "", diag.Errorf("", rv.line,
				"flag %q: metadata.rolloutVariant %q is the defaultVariant; name the variant being rolled out instead", m.name, rv.str)
		}
		return rv.str, nil
	}
	var others []string
	for _, k := range variants.keys {
		if k != stable {
			others = append(others, k)
		}
	}
	switch len(others) {
	case 1:
		return others[0], nil
	case 0:
		return "", diag.Errorf("", variants.line,
			"flag %q has only one variant (%q); add the variant to roll out", m.name, stable)
	default:
		return "", diag.Errorf("", variants.line,
			"flag %q has %d variants besides the default %q (%s); set metadata.rolloutVariant on the flag to the one to roll out",
			m.name, len(others), stable, strings.Join(others, ", "))
	}
}

// readBuckets reads a fractional rule the way flagd evaluates it: an optional
// leading bucketing expression (anything that is not an array), then
// [variant, weight] arrays whose weight defaults to 1.
func readBuckets(m *managedFlag, args *node) error {
	if args.kind != kindArray {
		return diag.Errorf("", args.line, "flag %q: fractional must be an array of [variant, weight] buckets", m.name)
	}
	items := args.vals
	first := 0
	if len(items) > 0 && items[0].kind != kindArray {
		first = 1
	}
	if len(items) == first {
		return diag.Errorf("", args.line, "flag %q: fractional has no [variant, weight] buckets", m.name)
	}
	for i := first; i < len(items); i++ {
		b := items[i]
		if b.kind != kindArray || len(b.vals) == 0 || len(b.vals) > 2 || b.vals[0].kind != kindString {
			return diag.Errorf("", b.line, "flag %q: fractional bucket must be [\"variant\", weight]", m.name)
		}
		v := b.vals[0].str
		slot := -1
		switch v {
		case m.split.Stable:
			slot = 0
		case m.split.Rollout:
			slot = 1
		default:
			return diag.Errorf("", b.line,
				"flag %q: fractional bucket %q is neither the stable variant %q nor the rollout variant %q; promptgate manages two-way splits only",
				m.name, v, m.split.Stable, m.split.Rollout)
		}
		if m.buckets[slot] != nil {
			return diag.Errorf("", b.line, "flag %q: variant %q has two fractional buckets; merge them into one", m.name, v)
		}
		bk := &bucket{index: i, arr: b, w: 1}
		if len(b.vals) == 2 {
			w := b.vals[1]
			if w.kind != kindNumber {
				return diag.Errorf("", w.line, "flag %q: weight of bucket %q must be a number", m.name, v)
			}
			// flagd truncates weights to integers, so a fractional weight
			// would not mean what it says.
			if w.num < 0 || w.num != math.Trunc(w.num) || w.num > maxWeight {
				return diag.Errorf("", w.line,
					"flag %q: weight %s of bucket %q must be a whole number from 0 up (flagd truncates weights to integers)",
					m.name, w.text, v)
			}
			bk.weight, bk.w = w, w.num
		}
		m.buckets[slot] = bk
	}
	var ws, wr float64
	if b := m.buckets[0]; b != nil {
		ws = b.w
	}
	if b := m.buckets[1]; b != nil {
		wr = b.w
	}
	if ws+wr == 0 {
		return diag.Errorf("", args.line, "flag %q: fractional weights add up to 0, so flagd serves no variant; give the stable variant a weight", m.name)
	}
	m.split.HasFractional = true
	m.split.RolloutPct = int(math.Round(100 * wr / (ws + wr)))
	return nil
}
