package change

import (
	"fmt"

	"github.com/promptgate/promptgate/internal/prompt"
)

// ReasonToolChanged is why a prompt naming a changed tool file is evaluated
// again: the tool's description and schema steer the model like the prompt.
const ReasonToolChanged Reason = "tool %s changed"

// toolFile re-evaluates every prompt that names the tool defined at p, at
// base or at head (a prompt that stops naming it changed too), and reports
// whether p is a tool file.
func (d *detector) toolFile(p string) bool {
	name, ok := prompt.ToolName(p)
	if !ok || !(under(p, d.base.cfg.Paths.Tools) || under(p, d.head.cfg.Paths.Tools)) {
		return false
	}
	reason := Reason(fmt.Sprintf(string(ReasonToolChanged), name))
	for _, s := range []side{d.base, d.head} {
		if s.Prompts == nil {
			continue
		}
		for _, pr := range s.Prompts.ToolDependents(name) {
			d.addReeval(Key(pr.Name, pr.Variant), reason)
		}
	}
	return true
}
