package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/promptgate/promptgate/internal/llm"
)

// pacingNote describes rate-limit pacing in a few words for the progress
// bar: the limits in force, the 429s and the time calls were held back, for
// every provider and model that has any. Empty when nothing was paced.
func pacingNote(ps []llm.Pacing) string {
	var parts []string
	for _, p := range ps {
		var b []string
		if p.RPM > 0 {
			b = append(b, fmt.Sprintf("%d req/min", p.RPM))
		}
		if p.TPM > 0 {
			b = append(b, fmt.Sprintf("%d tok/min", p.TPM))
		}
		if p.Throttled > 0 {
			b = append(b, fmt.Sprintf("%d×429", p.Throttled))
		}
		if p.Waited > 0 {
			b = append(b, "waited "+p.Waited.Round(100*time.Millisecond).String())
		}
		if len(b) == 0 {
			continue
		}
		name := p.Model
		if len(ps) > 1 {
			name = p.Provider + "/" + p.Model
		}
		parts = append(parts, name+": "+strings.Join(b, ", "))
	}
	return strings.Join(parts, "; ")
}
