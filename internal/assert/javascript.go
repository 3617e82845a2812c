package assert

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// The javascript assertion runs promptfoo-style inline JavaScript in an
// embedded engine (goja). As in promptfoo, a one-line value is an
// expression (or declarations then a final expression) and a multi-line
// value is a function body that returns; both see `output` and `context`
// ({vars, prompt, test}). The script has no require, no filesystem, no
// network and no environment (`process.env` is empty), and runs within the
// bounds jsguard.go sets.

// DefaultJSTimeout bounds one javascript assertion when Env sets no limit.
const DefaultJSTimeout = 5 * time.Second

// compileJS builds the function a javascript value stands for.
func compileJS(value string) (*goja.Program, error) {
	body := strings.TrimRightFunc(value, isSpaceRune)
	if !strings.Contains(body, "\n") {
		body = jsFunctionBody(body)
	}
	return goja.Compile("assertion.js", "(function (output, context, process) {\n"+body+"\n})", true)
}

func isSpaceRune(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

var declRe = regexp.MustCompile(`^(const|let|var)\s`)

// jsFunctionBody turns a one-line expression into a function body, as
// promptfoo does: "x" becomes "return x", and "const a = 1; a > 0" becomes
// "const a = 1; return a > 0".
func jsFunctionBody(code string) string {
	trimmed := strings.TrimSpace(code)
	for {
		t := strings.TrimRightFunc(strings.TrimSuffix(trimmed, ";"), isSpaceRune)
		if t == trimmed {
			break
		}
		trimmed = t
	}
	if !declRe.MatchString(trimmed) {
		return "return " + trimmed
	}
	if semi := lastStatementSemicolon(trimmed); semi >= 0 {
		if expr := strings.TrimSpace(trimmed[semi+1:]); expr != "" {
			return trimmed[:semi+1] + " return " + expr
		}
	}
	return trimmed
}

// lastStatementSemicolon finds the last ';' outside string and template
// literals.
func lastStatementSemicolon(code string) int {
	var quote byte
	last := -1
	for i := 0; i < len(code); i++ {
		c := code[i]
		if c == '\\' {
			i++
			continue
		}
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
		case c == ';':
			last = i
		}
	}
	return last
}

// runJS calls the assertion's function and reads its result as promptfoo
// does: a boolean, a number (a score, passing when > 0 or ≥ threshold), or a
// GradingResult object {pass, score, reason}.
func (a Assertion) runJS(out Output, limit time.Duration) (Result, error) {
	if limit <= 0 || limit > DefaultJSTimeout {
		limit = DefaultJSTimeout
	}
	return a.runJSWithin(out, limit)
}

// runJSWithin is runJS with the time limit as given, unclamped: the bounds
// tests give a script meant to end at a size limit a long one, so a slow
// machine cannot end it at the clock first.
func (a Assertion) runJSWithin(out Output, limit time.Duration) (Result, error) {
	prog, err := a.js, a.jsErr
	if a.templed {
		prog, err = compileJS(substitute(a.Value.(string), out.Vars))
	}
	if err != nil {
		return Result{}, err
	}
	vm := goja.New()
	guardBuiltins(vm)
	return runBounded(vm, limit, func() (Result, error) { return a.callJS(vm, prog, out) })
}

// callJS runs the compiled assertion in vm and reads its result.
func (a Assertion) callJS(vm *goja.Runtime, prog *goja.Program, out Output) (Result, error) {
	fnVal, err := vm.RunProgram(prog)
	if err != nil {
		return Result{}, err
	}
	fn, ok := goja.AssertFunction(fnVal)
	if !ok {
		return Result{}, errors.New("not a function")
	}
	vars := out.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	ctxObj := map[string]any{
		"vars":   vars,
		"prompt": out.Prompt,
		"test":   map[string]any{"vars": vars},
		// The tool loop's calls, in OpenAI's tool_calls shape.
		"toolCalls": jsToolCalls(out.ToolCalls),
	}
	process := map[string]any{"env": map[string]any{}}
	res, err := fn(goja.Undefined(), vm.ToValue(out.Text), vm.ToValue(ctxObj), vm.ToValue(process))
	if err != nil {
		return Result{}, err
	}
	if p, isPromise := res.Export().(*goja.Promise); isPromise {
		switch p.State() {
		case goja.PromiseStateFulfilled:
			res = p.Result()
		case goja.PromiseStateRejected:
			return Result{}, fmt.Errorf("promise rejected: %v", p.Result())
		default:
			return Result{}, errors.New("promise never settled")
		}
	}
	return a.jsResult(res)
}

func (a Assertion) jsResult(res goja.Value) (Result, error) {
	switch v := res.Export().(type) {
	case bool:
		pass := v != a.Negate
		r := Result{Type: a.Name(), Pass: pass, Score: boolScore(pass), Reason: "assertion passed"}
		if !pass {
			r.Reason = fmt.Sprintf("Custom function returned %t", v)
		}
		return r, nil
	case int64, float64:
		score := toFloat64(v)
		raw := score > 0
		if a.Threshold != nil {
			raw = score >= *a.Threshold
		}
		pass := raw != a.Negate
		r := Result{Type: a.Name(), Pass: pass, Score: score, Reason: "assertion passed"}
		if !pass {
			r.Reason = fmt.Sprintf("Custom function returned %t (score %g)", raw, score)
		}
		return r, nil
	case map[string]any:
		p, okP := v["pass"].(bool)
		reason, okR := v["reason"].(string)
		_, isInt := v["score"].(int64)
		_, isFloat := v["score"].(float64)
		if okP && okR && (isInt || isFloat) {
			pass := p != a.Negate
			if pass != p {
				reason = "assertion passed"
				if !pass {
					reason = fmt.Sprintf("Custom function returned %t", p)
				}
			}
			return Result{Type: a.Name(), Pass: pass, Score: toFloat64(v["score"]), Reason: reason}, nil
		}
	}
	return Result{}, fmt.Errorf("custom function must return a boolean, number, or GradingResult object, got %s", clip(res.String()))
}

func toFloat64(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func boolScore(pass bool) float64 {
	if pass {
		return 1
	}
	return 0
}
