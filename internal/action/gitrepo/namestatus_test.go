package gitrepo

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestParseNameStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    []FileChange
		wantErr string
	}{
		{name: "empty", in: "", want: nil},
		{
			name: "all kinds",
			in:   "A\x00new.prompt\x00M\x00mod.prompt\x00D\x00gone.prompt\x00T\x00typed\x00R087\x00old\x00new\x00C100\x00src\x00copy\x00",
			want: []FileChange{
				{Path: "new.prompt", Status: 'A'},
				{Path: "mod.prompt", Status: 'M'},
				{Path: "gone.prompt", Status: 'D'},
				{Path: "typed", Status: 'M'},
				{Path: "new", OldPath: "old", Status: 'R'},
				{Path: "copy", Status: 'A'},
			},
		},
		{
			name: "paths with tabs, newlines and spaces survive -z",
			in:   "M\x00a b\tc\nd\x00",
			want: []FileChange{{Path: "a b\tc\nd", Status: 'M'}},
		},
		{name: "missing trailing NUL is tolerated", in: "M\x00x", want: []FileChange{{Path: "x", Status: 'M'}}},
		{name: "status without path", in: "M\x00", wantErr: "without a path"},
		{name: "rename without new path", in: "R100\x00old\x00", wantErr: "without a path"},
		{name: "unmerged", in: "U\x00x\x00", wantErr: "unexpected status"},
		{name: "empty status", in: "\x00x\x00", wantErr: "empty status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseNameStatus([]byte(tc.in))
			checkErr(t, err, tc.wantErr)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseNameStatus (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseNameStatus(f *testing.F) {
	f.Add([]byte("A\x00a\x00R100\x00b\x00c\x00"))
	f.Add([]byte("M\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		changes, err := ParseNameStatus(in)
		if err != nil {
			return
		}
		for _, c := range changes {
			if c.Path == "" || !strings.ContainsRune("AMDR", rune(c.Status)) || (c.OldPath != "") != (c.Status == 'R') {
				t.Fatalf("bad change %+v from %q", c, in)
			}
		}
	})
}

func FuzzParseLsTree(f *testing.F) {
	f.Add([]byte("100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tprompts/a.prompt\x00"))
	f.Add([]byte("120000 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\tlink\x00160000 commit abc\tsub\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		entries, err := parseLsTree(in)
		if err != nil {
			return
		}
		files := map[string][]byte{}
		for _, e := range entries {
			files[e.path] = []byte(e.object)
		}
		// Paths a file and a directory share cannot come from git; skip them.
		for p := range files {
			for q := range files {
				if strings.HasPrefix(q, p+"/") {
					return
				}
			}
		}
		m := newMemFS(files)
		names := make([]string, 0, len(files))
		for p := range files {
			names = append(names, p)
		}
		if err := fstest.TestFS(m, names...); err != nil {
			t.Fatalf("memFS from %q: %v", in, err)
		}
	})
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"modified and untracked", " M prompts/a.prompt\x00?? evals/new.yaml\x00", []string{"prompts/a.prompt", "evals/new.yaml"}},
		{"rename skips its source", "R  prompts/b.prompt\x00prompts/a.prompt\x00 M promptgate.yaml\x00", []string{"prompts/b.prompt", "promptgate.yaml"}},
		{"truncated entry", "M\x00", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, ParseStatus([]byte(tt.in))); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
