package prompt

import (
	"strings"
	"testing"
)

// TestToolSchemaStable: a Picoschema tool file gives the same parameters on
// every load (the YAML goes through Go maps, whose order is random), with
// the object keys and the required list sorted.
func TestToolSchemaStable(t *testing.T) {
	t.Parallel()
	src := []byte("name: lookup\ndescription: Find an order.\ninput:\n  order_id: string, the order number\n" +
		"  email?: string\n  carrier(enum): [DHL, UPS]\n  zip: string\n  qty: integer\n  note: string\n")
	first, err := ParseTool("tools/lookup.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	want := string(first.Tool.Parameters)
	for range 50 {
		got, err := ParseTool("tools/lookup.yaml", src)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Tool.Parameters) != want {
			t.Fatalf("parameters changed between loads:\n%s\n%s", want, got.Tool.Parameters)
		}
	}
	if !strings.Contains(want, `"required":["carrier","note","order_id","qty","zip"]`) || !strings.Contains(want, `"enum":["DHL","UPS"]`) {
		t.Errorf("parameters %s: want the required list sorted and the enum in its written order", want)
	}
	if i, j := strings.Index(want, `"carrier"`), strings.Index(want, `"zip"`); i < 0 || j < i {
		t.Errorf("parameters %s: want properties in sorted order", want)
	}
}
