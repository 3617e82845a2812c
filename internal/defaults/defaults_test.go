package defaults

import (
	"testing"
	"time"
)

func TestPositive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in, def int
		want    int
	}{
		{"unset takes the default", 0, 4, 4},
		{"negative takes the default", -1, 4, 4},
		{"set is kept", 7, 4, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := tt.in
			Positive(&v, tt.def)
			if v != tt.want {
				t.Errorf("Positive(%d, %d) = %d, want %d", tt.in, tt.def, v, tt.want)
			}
		})
	}
	var d time.Duration
	Positive(&d, time.Minute)
	if d != time.Minute {
		t.Errorf("unset duration = %s, want 1m", d)
	}
}
