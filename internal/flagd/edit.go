package flagd

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	"github.com/promptgate/promptgate/internal/diag"
)

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

// SetRollout sets a flag's split to pct percent on the rollout variant and
// 100-pct on the stable one, returning the edited file and the split before
// and after. Only the two weight numbers change. A flag with no targeting (or
// an empty one) gets a new fractional rule, the one case where text is added,
// except at 0%, which it already serves: then doc comes back unchanged. A flag
// whose targeting has other rules is refused rather than rewritten.
func SetRollout(doc []byte, f Format, flag string, pct int) (out []byte, before, after Split, err error) {
	if pct < 0 || pct > 100 {
		return nil, Split{}, Split{}, fmt.Errorf("rollout percentage %d is outside 0..100", pct)
	}
	return Edit(doc, f, flag, pct, nil)
}

// KeepSplit as Edit's pct leaves the flag's split as it is.
const KeepSplit = -1

// Edit is SetRollout that also sets flat values in the flag's metadata, in the
// same edit: each existing value is replaced in place and missing keys are
// added after the metadata's last key (or a metadata object after the flag's
// last key). pct KeepSplit changes metadata only. The result is verified like
// SetRollout's: only the weights and the named metadata values differ.
func Edit(doc []byte, f Format, flag string, pct int, meta []Meta) (out []byte, before, after Split, err error) {
	if pct != KeepSplit && (pct < 0 || pct > 100) {
		return nil, Split{}, Split{}, fmt.Errorf("rollout percentage %d is outside 0..100", pct)
	}
	if err := checkMeta(meta); err != nil {
		return nil, Split{}, Split{}, err
	}
	d, err := load(doc, f)
	if err != nil {
		return nil, Split{}, Split{}, err
	}
	m, err := d.managed(flag)
	if err != nil {
		return nil, Split{}, Split{}, err
	}
	before = m.split
	if pct == KeepSplit || !before.HasFractional && pct == 0 {
		// Every key already gets the stable variant: a 0% rule would only add text.
		pct = KeepSplit
	}
	var edits []edit
	switch {
	case pct == KeepSplit:
	case m.split.HasFractional:
		edits, err = d.weightEdits(m, pct)
	default:
		edits, err = d.insertEdits(m, pct)
	}
	if err != nil {
		return nil, before, Split{}, err
	}
	me, err := d.metaEdits(m, meta)
	if err != nil {
		return nil, before, Split{}, err
	}
	edits = append(edits, me...)
	if len(edits) == 0 {
		return doc, before, before, nil
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	for i := 1; i < len(edits); i++ {
		if edits[i].start < edits[i-1].end {
			return nil, before, Split{}, fmt.Errorf("edit flag %q: two edits overlap; the file was left unchanged (this is a promptgate bug, please report it)", flag)
		}
	}
	out = splice(doc, edits)
	after, err = d.verify(out, m, pct, meta)
	if err != nil {
		return nil, before, Split{}, err
	}
	return out, before, after, nil
}

func splice(src []byte, edits []edit) []byte {
	// Stable: two insertions at one offset keep the order they were made in.
	slices.SortStableFunc(edits, func(a, b edit) int { return a.start - b.start })
	var out bytes.Buffer
	out.Grow(len(src) + 128)
	last := 0
	for _, e := range edits {
		out.Write(src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes()
}

// weightEdits rewrites the two existing weight numbers in place.
func (d *document) weightEdits(m *managedFlag, pct int) ([]edit, error) {
	want := [2]int{100 - pct, pct}
	var edits []edit
	for slot, b := range m.buckets {
		variant := [2]string{m.split.Stable, m.split.Rollout}[slot]
		if b == nil {
			return nil, diag.Errorf("", m.targeting.line,
				"flag %q: fractional has no bucket for %q; add [%q, 0] to it so promptgate only has to change numbers",
				m.name, variant, variant)
		}
		if b.weight == nil {
			return nil, diag.Errorf("", b.arr.line,
				"flag %q: fractional bucket %q has no explicit weight; write it as [%q, %d]", m.name, variant, variant, int(b.w))
		}
		start, end, err := d.span(b.weight)
		if err != nil {
			return nil, diag.Errorf("", b.weight.line, "flag %q: can't edit the weight of bucket %q in place: %v", m.name, variant, err)
		}
		text := strconv.Itoa(want[slot])
		if string(d.src[start:end]) != text {
			edits = append(edits, edit{start, end, text})
		}
	}
	return edits, nil
}

// span finds the bytes of a number token.
func (d *document) span(n *node) (int, int, error) {
	if d.format == JSON {
		return n.start, n.end, nil
	}
	start, err := d.yamlStart(n)
	if err != nil {
		return 0, 0, err
	}
	if !bytes.HasPrefix(d.src[start:], []byte(n.text)) {
		return 0, 0, fmt.Errorf("it is not a plain number (tags, quotes and anchors can't be edited)")
	}
	return start, start + len(n.text), nil
}

// yamlStart finds the offset of a YAML value's first byte, refusing values
// that an anchor shares with other places.
func (d *document) yamlStart(n *node) (int, error) {
	if n.shared {
		return 0, fmt.Errorf("it is under a YAML anchor or alias, so changing it would change other places too")
	}
	if d.starts == nil {
		d.starts = lineStarts(d.src)
	}
	start := offsetOf(d.src, d.starts, n.line, n.col)
	if start < 0 || start >= len(d.src) {
		return 0, fmt.Errorf("its position is outside the file")
	}
	return start, nil
}

// fractionalText is the rule inserted into a flag without targeting. It uses
// flagd's shorthand with no bucketing expression, so flagd buckets on the
// flag key plus the targeting key and each flag rolls out independently.
func fractionalText(m *managedFlag, pct int) string {
	return fmt.Sprintf(`{"fractional": [[%s, %d], [%s, %d]]}`,
		jsonQuote(m.split.Stable), 100-pct, jsonQuote(m.split.Rollout), pct)
}

func (d *document) insertEdits(m *managedFlag, pct int) ([]edit, error) {
	if t := m.targeting; t != nil { // present but empty: fill it
		start, end, err := d.emptyObjectSpan(t)
		if err != nil {
			return nil, diag.Errorf("", t.line, "flag %q: can't fill in its empty targeting: %v", m.name, err)
		}
		return []edit{{start, end, fractionalText(m, pct)}}, nil
	}
	if d.format == JSON {
		return d.insertJSON(m, pct), nil
	}
	return d.insertYAML(m, pct)
}

// emptyObjectSpan finds the bytes of an empty {} object.
func (d *document) emptyObjectSpan(n *node) (int, int, error) {
	start, end := n.start, n.end
	if d.format == YAML {
		if n.shared {
			return 0, 0, fmt.Errorf("it is under a YAML anchor or alias")
		}
		if d.starts == nil {
			d.starts = lineStarts(d.src)
		}
		start = offsetOf(d.src, d.starts, n.line, n.col)
		if start < 0 || start >= len(d.src) || d.src[start] != '{' {
			return 0, 0, fmt.Errorf("it is not written as {}")
		}
		end = start + 1
		for end < len(d.src) && (d.src[end] == ' ' || d.src[end] == '\t') {
			end++
		}
		if end >= len(d.src) || d.src[end] != '}' {
			return 0, 0, fmt.Errorf("it is not written as {}")
		}
		end++
	}
	return start, end, nil
}

// insertJSON adds "targeting" after the flag's last member, indented (or not)
// like its neighbours.
func (d *document) insertJSON(m *managedFlag, pct int) []edit {
	return []edit{d.appendJSON(m.node, []Meta{{Key: "targeting", Value: rawText(fractionalText(m, pct))}})}
}

// verify re-reads an edited document and checks that flagd will load it,
// that it reads back as the requested split (pct KeepSplit: unchanged), and
// that nothing but the flag's weights (or its new targeting) and the named
// metadata values changed.
func (d *document) verify(out []byte, m *managedFlag, pct int, meta []Meta) (Split, error) {
	fail := func(format string, args ...any) (Split, error) {
		return Split{}, fmt.Errorf("edit flag %q: %s; the file was left unchanged (this is a promptgate bug, please report it)",
			m.name, fmt.Sprintf(format, args...))
	}
	nd, err := load(out, d.format)
	if err != nil {
		return fail("edited file does not load: %v", err)
	}
	nm, err := nd.managed(m.name)
	if err != nil {
		return fail("edited flag does not read back: %v", err)
	}
	want := d.sem
	flag := want["flags"].(map[string]any)[m.name].(map[string]any)
	switch {
	case pct == KeepSplit:
		if nm.split != m.split {
			return fail("edited flag reads back as %d%%, want it unchanged at %d%%", nm.split.RolloutPct, m.split.RolloutPct)
		}
	case nm.split.RolloutPct != pct || !nm.split.HasFractional:
		return fail("edited flag reads back as %d%%, want %d%%", nm.split.RolloutPct, pct)
	case m.split.HasFractional:
		args := flag["targeting"].(map[string]any)["fractional"].([]any)
		for slot, w := range [2]int{100 - pct, pct} {
			args[m.buckets[slot].index].([]any)[1] = float64(w)
		}
	default:
		flag["targeting"] = map[string]any{"fractional": []any{
			[]any{m.split.Stable, float64(100 - pct)},
			[]any{m.split.Rollout, float64(pct)},
		}}
	}
	if len(meta) > 0 {
		md, _ := flag["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			flag["metadata"] = md
		}
		for _, kv := range meta {
			md[kv.Key] = kv.semantic()
		}
	}
	if !reflect.DeepEqual(any(nd.sem), any(want)) {
		return fail("the edit changed more than the weights and metadata")
	}
	return nm.split, nil
}
