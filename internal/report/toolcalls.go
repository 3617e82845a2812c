package report

import (
	"fmt"
	"strings"

	"github.com/promptgate/promptgate/internal/eval"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// maxToolCell bounds one tool call's text in the side-by-side table.
const maxToolCell = 200

// toolCallTable shows base's and head's tool calls side by side, one row per
// position in the loop, "" when neither side called a tool. Each cell is a
// code span (the model wrote the arguments; a code span renders no link,
// mention or HTML).
func toolCallTable(base, head []eval.ToolCall) string {
	if len(base) == 0 && len(head) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("**Tool calls**\n\n| # | base | head |\n|---|---|---|\n")
	for i := range max(len(base), len(head)) {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", i+1, toolCell(base, i), toolCell(head, i))
	}
	b.WriteString("\n")
	return b.String()
}

func toolCell(calls []eval.ToolCall, i int) string {
	if i >= len(calls) {
		return "—"
	}
	c := calls[i]
	text := fmt.Sprintf("turn %d: %s(%s)", c.Turn, c.Name, c.Arguments)
	if c.Answered {
		text += " → " + c.Result
	} else {
		text += " → no result given"
	}
	return "`" + codeSpan(mdsafe.Truncate(text, maxToolCell)) + "`"
}
