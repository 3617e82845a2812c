package chatops

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLimit(t *testing.T) {
	t.Parallel()
	many := strings.Repeat("/rollout summarize-prompt status\n", 2000)
	var distinct strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&distinct, "/rollout flag-%d status\n", i)
	}
	tests := []struct {
		name        string
		body        string
		max         int
		wantLines   []int // kept command and problem lines, in order
		wantIgnored int
	}{
		{name: "few are all kept", body: "/rollout a 5\n/rollback b\n", max: 5, wantLines: []int{1, 2}},
		{name: "problems count in line order", body: "/rollout a lots\n/rollout a 5\n/rollout\n/rollback c\n", max: 3, wantLines: []int{1, 2, 3}, wantIgnored: 1},
		{name: "a repeated command runs once", body: many, max: 5, wantLines: []int{1}, wantIgnored: 1999},
		{name: "2,000 distinct commands", body: distinct.String(), max: 5, wantLines: []int{1, 2, 3, 4, 5}, wantIgnored: 1995},
		{name: "a repeat does not use up a place", body: "/rollout a 5\n/rollout a 5%\n/rollout b 5\n", max: 2, wantLines: []int{1, 3}, wantIgnored: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmds, problems := Parse(tt.body)
			kc, kp, ignored := Limit(cmds, problems, tt.max)
			var lines []int
			for len(kc) > 0 || len(kp) > 0 {
				if len(kp) == 0 || (len(kc) > 0 && kc[0].Line < kp[0].Line) {
					lines, kc = append(lines, kc[0].Line), kc[1:]
				} else {
					lines, kp = append(lines, kp[0].Line), kp[1:]
				}
			}
			if diff := cmp.Diff(tt.wantLines, lines); diff != "" || ignored != tt.wantIgnored {
				t.Errorf("kept lines (-want +got):\n%s\nignored %d, want %d", diff, ignored, tt.wantIgnored)
			}
		})
	}
}
