package promptfoo

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ardanlabs/jinja"
)

// Limits bound one render of a Nunjucks template. A promptfoo config comes
// with the pull request it is checked on, so its templates are code written
// by whoever opened it: a huge range(), nested loops, a recursive macro or a
// string that doubles in a loop must fail the render, at the template's
// line, instead of holding the check run's CPU and memory.
type Limits struct {
	// MaxRange is the number of items one range() call may produce.
	MaxRange int64
	// MaxSteps is the number of loop iterations one render may run.
	MaxSteps int
	// MaxCalls is the number of macro calls one render may make; it also
	// bounds how deep a recursive macro goes.
	MaxCalls int
	// MaxAlloc is the number of bytes the process may allocate while one
	// render runs, checked at every loop iteration and macro call. Go
	// counts allocation per process, not per goroutine, so it is set far
	// above what a render allocates: what other goroutines allocate during
	// a render (microseconds to milliseconds) must not reach it.
	MaxAlloc uint64
	// MaxOutput is the size of the rendered text in bytes.
	MaxOutput int
	// Deadline is how long one render may run, checked at every loop
	// iteration and macro call.
	Deadline time.Duration
}

// DefaultLimits are the bounds every Nunjucks render runs under: far above
// what a prompt template needs, far below what hurts a CI runner.
var DefaultLimits = Limits{
	MaxRange:  10_000,
	MaxSteps:  100_000,
	MaxCalls:  1_000,
	MaxAlloc:  256 << 20,
	MaxOutput: 1 << 20,
	Deadline:  2 * time.Second,
}

// maxIndent is the widest indent | indent and | dump may ask for: each
// line of the output repeats it.
const maxIndent = 100

// The callables the rewrite plants in a template: a step at the start of
// every loop body and macro body, and range() with the line it stands on.
const (
	stepName  = "__promptgate_step"
	callName  = "__promptgate_call"
	rangeName = "__promptgate_range"
)

var (
	// rangeCallRe is a call of range() (not of x.range or my_range).
	rangeCallRe = regexp.MustCompile(`(^|[^\w.])range\s*\(`)
	// repeatRe is a string literal (already blanked to "") on either side
	// of *: Jinja's string repetition, which Nunjucks does not have (there
	// it gives NaN) and which allocates its result in one step.
	repeatRe = regexp.MustCompile(`""\s*\*[^*]|[^*]\*\s*""`)
	// indentRe is a filter that indents by its argument, with the
	// argument's digits: indent(N), dump(N), tojson(indent=N).
	indentRe = regexp.MustCompile(`\b(?:indent|dump|tojson)\s*\(\s*(?:indent\s*=\s*)?(\d+)`)
)

// boundTag plants the budget's checks in one tag at line: a step after a
// for or macro tag, and the line in every range() call. A string
// repetition is refused.
func boundTag(tag string, line int) (string, error) {
	code := stringRe.ReplaceAllString(tag, `""`)
	if loc := repeatRe.FindStringIndex(code); loc != nil {
		return "", &TemplateError{Line: line + strings.Count(code[:loc[0]], "\n"),
			Msg: "string repetition with * is not rendered by promptgate (Nunjucks has none: 'ab' * 3 is NaN there)"}
	}
	if m := indentRe.FindStringSubmatchIndex(code); m != nil && !fitsIndent(code[m[2]:m[3]]) {
		return "", &TemplateError{Line: line + strings.Count(code[:m[0]], "\n"),
			Msg: fmt.Sprintf("an indent of %s is over promptgate's limit of %d", code[m[2]:m[3]], maxIndent)}
	}
	// range( is rewritten outside string literals only: code and tag have
	// the same length, since blanked literals are rebuilt below.
	var b strings.Builder
	last := 0
	for _, lit := range stringRe.FindAllStringIndex(tag, -1) {
		b.WriteString(rangeCallRe.ReplaceAllString(tag[last:lit[0]], fmt.Sprintf("${1}%s(%d, ", rangeName, line)))
		b.WriteString(tag[lit[0]:lit[1]])
		last = lit[1]
	}
	b.WriteString(rangeCallRe.ReplaceAllString(tag[last:], fmt.Sprintf("${1}%s(%d, ", rangeName, line)))
	out := b.String()
	switch stmtKeyword(out) {
	case "for":
		out += fmt.Sprintf("{{ %s(%d) }}", stepName, line)
	case "macro":
		out += fmt.Sprintf("{{ %s(%d) }}", callName, line)
	}
	return out, nil
}

// stmtKeyword is the statement a {% %} tag opens, read as the engine reads
// it (after the markers and any Unicode space, up to the first non-letter),
// so no spelling the engine accepts slips past the budget; "" for other
// tags.
func stmtKeyword(tag string) string {
	if !strings.HasPrefix(tag, "{%") {
		return ""
	}
	text := strings.TrimSpace(strings.TrimPrefix(tag[2:], "-"))
	if end := strings.IndexFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && r != '_' }); end >= 0 {
		return text[:end]
	}
	return text
}

// budget is what one render has used of its Limits.
type budget struct {
	limits       Limits
	steps, calls int
	start        time.Time
	alloc0       uint64
	sample       []metrics.Sample
}

func newBudget(l Limits) *budget {
	b := &budget{limits: l, start: time.Now(), sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}}
	b.alloc0 = b.allocated()
	return b
}

// allocated is the bytes the process has allocated so far.
func (b *budget) allocated() uint64 {
	metrics.Read(b.sample)
	if b.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return b.sample[0].Value.Uint64()
}

// values are the budget's callables, to render next to the vars.
func (b *budget) values() map[string]jinja.Value {
	return map[string]jinja.Value{
		stepName:  jinja.NewCallable(stepName, b.step),
		callName:  jinja.NewCallable(callName, b.call),
		rangeName: jinja.NewCallable(rangeName, b.rangeItems),
		// The builtin is shadowed too, for a call the rewrite did not
		// recognise as one (the engine skips bytes the rewrite does not).
		"range": jinja.NewCallable("range", func(args []jinja.Value, kw map[string]jinja.Value) (jinja.Value, error) {
			return b.rangeItems(append([]jinja.Value{jinja.NewInt(1)}, args...), kw)
		}),
	}
}

// step counts one loop iteration.
func (b *budget) step(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	b.steps++
	if b.steps > b.limits.MaxSteps {
		return jinja.Value{}, &TemplateError{Line: lineArg(args), Msg: fmt.Sprintf("the template's loops ran more than %d iterations (promptgate's limit per render)", b.limits.MaxSteps)}
	}
	return b.check(lineArg(args))
}

// call counts one macro call.
func (b *budget) call(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	b.calls++
	if b.calls > b.limits.MaxCalls {
		return jinja.Value{}, &TemplateError{Line: lineArg(args), Msg: fmt.Sprintf("the template called macros more than %d times (promptgate's limit per render; a macro calling itself never ends)", b.limits.MaxCalls)}
	}
	return b.check(lineArg(args))
}

// check stops a render past its deadline or its allocation budget.
func (b *budget) check(line int) (jinja.Value, error) {
	if time.Since(b.start) > b.limits.Deadline {
		return jinja.Value{}, &TemplateError{Line: line, Msg: fmt.Sprintf("the template ran longer than %s (promptgate's limit per render)", b.limits.Deadline)}
	}
	if used := b.allocated() - b.alloc0; used > b.limits.MaxAlloc {
		return jinja.Value{}, &TemplateError{Line: line, Msg: fmt.Sprintf("the template allocated more than %d MiB (promptgate's limit per render)", b.limits.MaxAlloc>>20)}
	}
	return jinja.NewString(""), nil
}

// rangeItems is range(start, stop, step) as the engine has it, refused
// before it builds a list longer than MaxRange. Its first argument is the
// line the rewrite put there.
func (b *budget) rangeItems(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	line := lineArg(args)
	if len(args) > 0 {
		args = args[1:]
	}
	n := make([]int64, len(args))
	for i, a := range args {
		n[i] = intArg(a)
	}
	var start, stop, step int64 = 0, 0, 1
	switch len(n) {
	case 1:
		stop = n[0]
	case 2:
		start, stop = n[0], n[1]
	case 3:
		start, stop, step = n[0], n[1], n[2]
	default:
		return jinja.Value{}, &TemplateError{Line: line, Msg: fmt.Sprintf("range() takes 1 to 3 arguments, got %d", len(n))}
	}
	if step == 0 {
		return jinja.Value{}, &TemplateError{Line: line, Msg: "range() step must not be zero"}
	}
	count := 0.0
	if d := (float64(stop) - float64(start)) / float64(step); d > 0 {
		count = math.Ceil(d)
	}
	if count > float64(b.limits.MaxRange) {
		return jinja.Value{}, &TemplateError{Line: line, Msg: fmt.Sprintf("range() of %.0f items is over promptgate's limit of %d", count, b.limits.MaxRange)}
	}
	items := make([]jinja.Value, 0, int(count))
	for i := range int64(count) {
		items = append(items, jinja.NewInt(start+i*step))
	}
	return jinja.NewList(items), nil
}

// fitsIndent says an indent's digits are within maxIndent.
func fitsIndent(digits string) bool {
	n, err := strconv.Atoi(digits)
	return err == nil && n <= maxIndent
}

// lineArg is the line a planted call passes first.
func lineArg(args []jinja.Value) int {
	if len(args) > 0 && args[0].IsInt() {
		return int(args[0].AsInt())
	}
	return 1
}

// intArg is a range() argument as an integer, as the engine reads one.
func intArg(v jinja.Value) int64 {
	switch {
	case v.IsInt():
		return v.AsInt()
	case v.IsFloat():
		f := v.AsFloat()
		if math.IsNaN(f) {
			return 0
		}
		return int64(max(min(f, math.MaxInt64/2), math.MinInt64/2))
	case v.IsBool():
		if v.AsBool() {
			return 1
		}
	}
	return 0
}

// asTemplateError finds the bound a render error came from, if any.
func asTemplateError(err error) (*TemplateError, bool) {
	var te *TemplateError
	ok := errors.As(err, &te)
	return te, ok
}
