package flagd

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkSetRollout200Flags measures one edit of a 200-flag JSON file,
// which includes two schema validations and the read-back checks.
func BenchmarkSetRollout200Flags(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{\n  \"flags\": {\n")
	for i := range 200 {
		if i > 0 {
			sb.WriteString(",\n")
		}
		fmt.Fprintf(&sb, `    "prompt-%03d": {"state": "ENABLED", "variants": {"stable": "p%d", "candidate": "p%d.v2"}, "defaultVariant": "stable", "targeting": {"fractional": [["stable", 90], ["candidate", 10]]}}`, i, i, i)
	}
	sb.WriteString("\n  }\n}\n")
	doc := []byte(sb.String())
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, _, _, err := SetRollout(doc, JSON, "prompt-150", 25); err != nil {
			b.Fatal(err)
		}
	}
}
