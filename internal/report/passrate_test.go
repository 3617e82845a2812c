package report

import (
	"testing"

	"github.com/promptgate/promptgate/internal/eval"
)

func TestPassRateShowsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    eval.SuiteResult
		want string
	}{
		{"graded only", eval.SuiteResult{Passed: 3, Failed: 1}, "3/4 (75%)"},
		{"one errored beside three passes", eval.SuiteResult{Passed: 3, Errored: 1}, "3/3 (100%) + 1 errored"},
		{"all errored", eval.SuiteResult{Errored: 2}, "n/a + 2 errored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := PassRate(&tt.s); got != tt.want {
				t.Errorf("PassRate = %q, want %q", got, tt.want)
			}
		})
	}
}
