package gitsha

import "testing"

func TestShort(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"full sha", "0123456789abcdef0123456789abcdef01234567", "0123456"},
		{"exactly short", "0123456", "0123456"},
		{"branch name", "main", "main"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Short(tt.in); got != tt.want {
				t.Errorf("Short(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
