package ghclient

import "testing"

func TestNewBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		apiURL, want string
		wantErr      bool
	}{
		{"", "https://api.github.com/", false},
		{"https://api.github.com", "https://api.github.com/", false},
		{"https://ghes.example.com/api/v3", "https://ghes.example.com/api/v3/", false},
		{"https://ghes.example.com/api/v3/", "https://ghes.example.com/api/v3/", false},
		{"not a url", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.apiURL, func(t *testing.T) {
			t.Parallel()
			c, err := New("tok", tt.apiURL, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("New(%q) error = %v, wantErr %v", tt.apiURL, err, tt.wantErr)
			}
			if err == nil && c.BaseURL.String() != tt.want {
				t.Errorf("BaseURL = %s, want %s", c.BaseURL, tt.want)
			}
		})
	}
}
