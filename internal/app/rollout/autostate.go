package rollout

import (
	"fmt"
	"time"

	"github.com/promptgate/promptgate/internal/flagd"
	"github.com/promptgate/promptgate/internal/mdsafe"
)

// Keys of the automatic rollout's state in the flag's metadata. They are flat
// string and number values, as flagd's schema wants, so the state lives in git
// next to the weights it drives and any replica can carry it on.
const (
	metaMode     = "promptgateMode"     // one of the Mode values
	metaStep     = "promptgateStep"     // the share auto last set
	metaFailures = "promptgateFailures" // analyses in a row that did not pass
	metaVerdict  = "promptgateVerdict"  // the last analysis: pass, fail, inconclusive or none
	metaPR       = "promptgatePR"       // the pull request auto comments on
	metaNext     = "promptgateNext"     // when the next analysis is due, RFC 3339 UTC
)

// Mode is an automatic rollout's mode.
type Mode string

// Modes. Only ModeAuto moves the flag; the others are kept in the file so a
// reader can see how the last automatic rollout ended.
const (
	ModeAuto       Mode = "auto"
	ModePaused     Mode = "paused"
	ModeDone       Mode = "done"        // reached the last step
	ModeRolledBack Mode = "rolled-back" // failure_limit analyses in a row did not pass
	ModeOff        Mode = "off"         // a manual /rollout or /rollback ended it
)

// verdictNone marks a step that ran no analysis: the first exposure from 0%.
const verdictNone = "none"

// autoState is the automatic rollout state of one flag.
type autoState struct {
	Mode     Mode
	Step     int
	Failures int
	Verdict  string
	PR       int
	Next     time.Time
}

// readAutoState reads the state from a flag's metadata (as flagd.ReadMeta
// returns it). Values of the wrong type read as zero: the metadata is
// untrusted text that anyone with write access can change.
func readAutoState(md map[string]any) autoState {
	str := func(k string) string { s, _ := md[k].(string); return s }
	num := func(k string) int {
		f, ok := md[k].(float64)
		if !ok || f < 0 || f > 1e9 || f != float64(int(f)) {
			return 0
		}
		return int(f)
	}
	st := autoState{Mode: Mode(str(metaMode)), Step: num(metaStep), Failures: num(metaFailures),
		Verdict: str(metaVerdict), PR: num(metaPR)}
	switch st.Mode {
	case ModeAuto, ModePaused, ModeDone, ModeRolledBack, ModeOff:
	default:
		st.Mode = ""
	}
	switch st.Verdict {
	case "pass", "fail", "inconclusive", verdictNone:
	default:
		st.Verdict = ""
	}
	if t, err := time.Parse(time.RFC3339, str(metaNext)); err == nil {
		st.Next = t.UTC() // one form, so two reads of a state compare equal
	}
	return st
}

// active reports whether the state is an automatic rollout that is running
// or paused, which a manual command ends.
func (st autoState) active() bool { return st.Mode == ModeAuto || st.Mode == ModePaused }

// meta is the state as metadata values, in a fixed order.
func (st autoState) meta() []flagd.Meta {
	next := ""
	if !st.Next.IsZero() {
		next = st.Next.UTC().Format(time.RFC3339)
	}
	return []flagd.Meta{
		{Key: metaMode, Value: string(st.Mode)},
		{Key: metaStep, Value: st.Step},
		{Key: metaFailures, Value: st.Failures},
		{Key: metaVerdict, Value: st.Verdict},
		{Key: metaPR, Value: st.PR},
		{Key: metaNext, Value: next},
	}
}

// line describes the state for /rollout f status. Every value comes from the
// flags file, so the free-form ones are escaped.
func (st autoState) line() string {
	s := fmt.Sprintf("🤖 Automatic rollout: mode **%s**, last step %d%%, last analysis %s, %d failed in a row",
		st.Mode, st.Step, mdsafe.Inline(modeName(Mode(st.Verdict))), st.Failures)
	if st.PR > 0 {
		s += fmt.Sprintf(", PR #%d", st.PR)
	}
	if st.Mode == ModeAuto && !st.Next.IsZero() {
		s += ", next analysis at " + st.Next.Format(time.RFC3339)
	}
	return s + "."
}

// nextStep is the first of steps above pct, or -1 when pct is at or past the last.
func nextStep(steps []int, pct int) int {
	for _, s := range steps {
		if s > pct {
			return s
		}
	}
	return -1
}
