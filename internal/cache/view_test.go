package cache

import (
	"testing"

	"github.com/promptgate/promptgate/internal/llm"
)

// TestView: lookups try the readers in order, a Files reader checks each
// entry against its key like a Store does, and new responses go to the Store
// only, which is not read unless it is also a reader.
func TestView(t *testing.T) {
	t.Parallel()
	committed, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := committed.Save("default", ep, "m", msgs, params, llm.Response{Content: "committed"}); err != nil {
		t.Fatal(err)
	}
	key := Key("default", ep, "m", msgs, params)
	good, _, _ := committed.Get(key)
	files := Files(func(rel string) ([]byte, bool, error) {
		if rel != RelPath(key) {
			return nil, false, nil
		}
		return []byte(`{"key":"` + key + `","provider":"default","endpoint":"` + ep + `","model":"m","request":{"messages":[],"params":{}},"response":{"content":"tampered"}}`), true, nil
	})
	store, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	v := &View{Readers: []Reader{files, committed}, Store: store}
	got, ok, err := v.Lookup("default", ep, "m", msgs, params)
	if err != nil || !ok || got.Content != good.Response.Content {
		t.Errorf("Lookup = %q, %t, %v; want the committed entry (the tampered one does not hash to its key)", got.Content, ok, err)
	}
	other := []llm.Message{{Role: "user", Content: "new"}}
	if err := v.Save("default", ep, "m", other, params, llm.Response{Content: "recorded"}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := v.Lookup("default", ep, "m", other, params); ok {
		t.Error("the write-only store answered a lookup")
	}
	if _, ok, _ := store.Lookup("default", ep, "m", other, params); !ok {
		t.Error("Save did not reach the store")
	}
	if _, ok := KeyOfPath(RelPath(key)); !ok {
		t.Error("KeyOfPath does not read RelPath")
	}
	for _, bad := range []string{key + ".json", "zz/" + key + ".json", RelPath(key) + ".bak", "README.md"} {
		if _, ok := KeyOfPath(bad); ok {
			t.Errorf("KeyOfPath(%q) accepted", bad)
		}
	}
}
