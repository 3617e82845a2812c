package schema

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestCompileRefusesOutsideRefs: a schema compiles when it refers only inside
// itself (or to a built-in meta-schema); any $ref to a file, a relative path or
// a URL is ErrExternalRef, and the referenced file is never read, so its
// content cannot appear in the error.
func TestCompileRefusesOutsideRefs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.json")
	if err := os.WriteFile(secret, []byte(`{"const": "TOPSECRET-7f3a"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		doc     string
		refused bool
	}{
		{name: "local defs", doc: `{"$defs": {"n": {"type": "number"}}, "properties": {"a": {"$ref": "#/$defs/n"}}}`},
		{name: "draft-07 meta-schema", doc: `{"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}`},
		{name: "embedded $id", doc: `{"$defs": {"x": {"$id": "https://example.com/x.json", "type": "string"}}, "$ref": "https://example.com/x.json"}`},
		{name: "file URL", doc: `{"$ref": "file://` + filepath.ToSlash(secret) + `"}`, refused: true},
		{name: "relative path", doc: `{"$ref": "secret.json"}`, refused: true},
		{name: "parent path", doc: `{"$ref": "../../../../` + filepath.ToSlash(secret) + `"}`, refused: true},
		{name: "https URL", doc: `{"properties": {"a": {"$ref": "https://example.com/s.json"}}}`, refused: true},
		{name: "id rebases a relative ref", doc: `{"$id": "file://` + filepath.ToSlash(dir) + `/", "$ref": "secret.json"}`, refused: true},
		{name: "custom meta-schema", doc: `{"$schema": "file://` + filepath.ToSlash(secret) + `"}`, refused: true},
		{name: "dynamic ref", doc: `{"$dynamicRef": "file://` + filepath.ToSlash(secret) + `#x"}`, refused: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile("test.schema.json", doc)
			if !tt.refused {
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrExternalRef) {
				t.Fatalf("Compile error = %v, want ErrExternalRef", err)
			}
			if strings.Contains(err.Error(), "TOPSECRET") {
				t.Errorf("error shows the referenced file's content: %v", err)
			}
		})
	}
}
