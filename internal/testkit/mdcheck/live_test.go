package mdcheck

import "testing"

func TestLiveFindsWhatGitHubRenders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		md   string
		want int
	}{
		{"hi @alice", 1},
		{"see http://x.example", 1},
		{"www.x.example", 1},
		{"[a](b)", 1},
		{"<img src=x>", 1},
		{"fixes #3", 1},
		{"`@alice http://x <b>`", 0},
		{"```\n@alice\n```\nplain", 0},
		{`\@alice`, 0},
		{"``a ` @b``", 0},
		{"`unclosed @alice", 1},
	}
	for _, tt := range tests {
		if got := Live(tt.md); len(got) != tt.want {
			t.Errorf("Live(%q) = %v, want %d findings", tt.md, got, tt.want)
		}
	}
}
