package assert

import (
	"errors"
	"fmt"
	"math"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// A javascript assertion comes from whoever wrote the suite, a fork pull
// request included, so everything it can spend is bounded. goja checks its
// interrupt flag only between VM instructions, never inside a built-in, so
// the bounds are set in three layers:
//   - time: the script runs on its own goroutine and the caller stops
//     waiting at the deadline; the VM is interrupted and its regular
//     expressions time out, so an abandoned script ends soon after;
//   - one built-in call: the built-ins whose result can dwarf their input
//     (repeat, padStart, split, join, fill, Array.from, concat, flat, replace,
//     JSON.stringify) check the size they would build first;
//   - growth over many instructions: the heap is sampled while the script
//     runs and the script is stopped once it has grown past jsMemoryLimit.
//
// A script stopped at a bound ends the case as an error naming the bound,
// whatever the script would have returned.
const (
	// jsMaxString is the longest string one built-in call may build, in
	// UTF-16 units.
	jsMaxString = 1 << 22
	// jsMaxArray is the most elements one built-in call may build.
	jsMaxArray = 1 << 20
	// jsMemoryLimit is how far the heap may grow while one script runs.
	jsMemoryLimit = 128 << 20
	// jsMaxCallStack bounds recursion, near Node's default depth.
	jsMaxCallStack = 10_000
	// jsRegexTimeout bounds each match a script's regular expressions make.
	// goja reads a timed-out match as "no match", so it is longer than any
	// script's time limit: the script's deadline always ends it first.
	jsRegexTimeout = DefaultJSTimeout + time.Second
	// jsHeapPoll is how often the heap is sampled while a script runs.
	jsHeapPoll = 2 * time.Millisecond
)

func init() {
	// goja compiles a script's regular expressions with regexp2's default
	// timeout, and offers no per-runtime setting.
	regexp2.DefaultMatchTimeout = jsRegexTimeout
}

// jsRunning counts the script goroutines still running, abandoned ones
// included, so a test can wait until they are gone.
var jsRunning sync.WaitGroup

// errJSLimit marks a script stopped at one of its bounds.
var errJSLimit = errors.New("javascript limit")

// jsLimitError is a script stopped at a bound; it wraps errJSLimit.
type jsLimitError struct{ msg string }

func (e *jsLimitError) Error() string { return e.msg }
func (e *jsLimitError) Unwrap() error { return errJSLimit }

func timeLimitError(limit time.Duration) error {
	return &jsLimitError{fmt.Sprintf("script stopped at the time limit of %s", limit)}
}

func memoryLimitError() error {
	return &jsLimitError{fmt.Sprintf("script stopped at the memory limit of %d MiB", jsMemoryLimit>>20)}
}

func stringLimitError(n float64) error {
	return &jsLimitError{fmt.Sprintf("script stopped at the string limit: a built-in would build %.0f characters, over %d", n, jsMaxString)}
}

func arrayLimitError(n float64) error {
	return &jsLimitError{fmt.Sprintf("script stopped at the array limit: a built-in would build %.0f elements, over %d", n, jsMaxArray)}
}

// runBounded runs call on its own goroutine and returns its outcome, or a
// limit error once the time limit passes or the heap grows past
// jsMemoryLimit. It never waits past the deadline: a script stuck inside a
// built-in is left to end on its own (the interrupt stops it at its next
// instruction, its regular expressions time out).
func runBounded(vm *goja.Runtime, limit time.Duration, call func() (Result, error)) (Result, error) {
	type outcome struct {
		r   Result
		err error
	}
	done := make(chan outcome, 1)
	jsRunning.Add(1)
	go func() {
		defer jsRunning.Done()
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{err: fmt.Errorf("script panicked: %v", p)}
			}
		}()
		r, err := call()
		done <- outcome{r, err}
	}()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	poll := time.NewTicker(jsHeapPoll)
	defer poll.Stop()
	heap := newHeapWatch()
	for {
		select {
		case o := <-done:
			var lim *jsLimitError
			if errors.As(o.err, &lim) {
				return Result{}, lim // not the JavaScript exception that carried it
			}
			return o.r, o.err
		case <-deadline.C:
			err := timeLimitError(limit)
			vm.Interrupt(err)
			return Result{}, err
		case <-poll.C:
			if heap.grown() > jsMemoryLimit {
				err := memoryLimitError()
				vm.Interrupt(err)
				return Result{}, err
			}
		}
	}
}

// heapWatch measures how far the heap has grown since it was made.
type heapWatch struct {
	sample []metrics.Sample
	base   uint64
}

const heapObjectsMetric = "/memory/classes/heap/objects:bytes"

func newHeapWatch() *heapWatch {
	h := &heapWatch{sample: []metrics.Sample{{Name: heapObjectsMetric}}}
	h.base = h.read()
	return h
}

func (h *heapWatch) read() uint64 {
	metrics.Read(h.sample)
	if h.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return h.sample[0].Value.Uint64()
}

func (h *heapWatch) grown() uint64 {
	now := h.read()
	if now < h.base {
		return 0
	}
	return now - h.base
}

// guardBuiltins makes vm's large-result built-ins check their result's
// size before building it, bounds recursion, and removes the binary buffers
// (a typed array allocates its whole length at once).
func guardBuiltins(vm *goja.Runtime) {
	vm.SetMaxCallStackSize(jsMaxCallStack)
	for _, name := range []string{"ArrayBuffer", "SharedArrayBuffer", "DataView", "Int8Array", "Uint8Array",
		"Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array",
		"Float64Array", "BigInt64Array", "BigUint64Array"} {
		_ = vm.GlobalObject().Delete(name)
	}
	g := jsGuard{vm}
	str := g.proto("String")
	g.wrap(str, "repeat", func(c goja.FunctionCall) error {
		return g.maxString(g.length(c.This) * c.Argument(0).ToFloat())
	})
	padTo := func(c goja.FunctionCall) error { return g.maxString(c.Argument(0).ToFloat()) }
	g.wrap(str, "padStart", padTo)
	g.wrap(str, "padEnd", padTo)
	g.wrap(str, "split", g.splitBound)
	g.wrap(str, "concat", func(c goja.FunctionCall) error {
		n := g.length(c.This)
		for _, a := range c.Arguments {
			n += g.length(a)
		}
		return g.maxString(n)
	})
	g.wrap(str, "replace", func(c goja.FunctionCall) error { return g.replaceBound(c, false) })
	g.wrap(str, "replaceAll", func(c goja.FunctionCall) error { return g.replaceBound(c, true) })

	arr := g.proto("Array")
	g.wrap(arr, "join", g.joinBound)
	g.wrap(arr, "fill", func(c goja.FunctionCall) error { return g.maxArray(g.length(c.This)) })
	g.wrap(arr, "concat", func(c goja.FunctionCall) error {
		n := g.length(c.This)
		for _, a := range c.Arguments {
			n += max(g.length(a), 1)
		}
		return g.maxArray(n)
	})
	g.wrap(arr, "flat", func(c goja.FunctionCall) error {
		depth := 1.0
		if d := c.Argument(0); !goja.IsUndefined(d) {
			depth = d.ToFloat()
		}
		budget := float64(jsMaxArray)
		if arr, ok := c.This.(*goja.Object); ok {
			g.flatCount(arr, depth, &budget, 0)
		}
		if budget < 0 {
			return arrayLimitError(jsMaxArray - budget)
		}
		return nil
	})
	g.wrap(vm.Get("Array").ToObject(vm), "from", func(c goja.FunctionCall) error {
		if o, ok := c.Argument(0).(*goja.Object); ok {
			return g.maxArray(g.length(o))
		}
		return nil
	})
	g.guardStringify()
}

// jsGuard holds the runtime the guarded built-ins belong to.
type jsGuard struct{ vm *goja.Runtime }

func (g jsGuard) proto(ctor string) *goja.Object {
	return g.vm.Get(ctor).ToObject(g.vm).Get("prototype").ToObject(g.vm)
}

// wrap replaces obj[name] with a function that runs bound first: a bound
// that fails interrupts the VM (a try/catch cannot swallow it) and builds
// nothing.
func (g jsGuard) wrap(obj *goja.Object, name string, bound func(goja.FunctionCall) error) {
	orig, ok := goja.AssertFunction(obj.Get(name))
	if !ok {
		return
	}
	fn := g.vm.ToValue(func(c goja.FunctionCall) goja.Value {
		if err := bound(c); err != nil {
			g.stop(err)
		}
		res, err := orig(c.This, c.Arguments...)
		if err != nil {
			panic(err)
		}
		return res
	}).ToObject(g.vm)
	_ = fn.DefineDataProperty("name", g.vm.ToValue(name), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = fn.DefineDataProperty("length", obj.Get(name).ToObject(g.vm).Get("length"), goja.FLAG_FALSE, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = obj.DefineDataProperty(name, fn, goja.FLAG_TRUE, goja.FLAG_FALSE, goja.FLAG_TRUE)
}

// stop interrupts the VM with err and unwinds the current built-in.
func (g jsGuard) stop(err error) {
	g.vm.Interrupt(err)
	panic(g.vm.NewGoError(err))
}

// length is v.length as a number (0 when v has none); for a string, its
// UTF-16 length.
func (g jsGuard) length(v goja.Value) float64 {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return 0
	}
	n := v.ToObject(g.vm).Get("length")
	if n == nil {
		return 0
	}
	f := n.ToFloat()
	if math.IsNaN(f) || f < 0 {
		return 0
	}
	return f
}

func (g jsGuard) maxString(n float64) error {
	if n > jsMaxString {
		return stringLimitError(n)
	}
	return nil
}

func (g jsGuard) maxArray(n float64) error {
	if n > jsMaxArray {
		return arrayLimitError(n)
	}
	return nil
}

// splitBound bounds the pieces "s".split(sep, limit) makes: one per
// character for "", one more than the separator's count for a string, at
// most one per character and one for anything else (a regular expression).
func (g jsGuard) splitBound(c goja.FunctionCall) error {
	n := g.length(c.This)
	if n <= jsMaxArray {
		return nil
	}
	pieces := n + 1
	if sep, ok := c.Argument(0).Export().(string); ok && sep != "" && !goja.IsUndefined(c.This) && !goja.IsNull(c.This) {
		pieces = float64(strings.Count(c.This.String(), sep) + 1)
	}
	if goja.IsUndefined(c.Argument(0)) {
		pieces = 1
	}
	if lim := c.Argument(1); !goja.IsUndefined(lim) {
		pieces = min(pieces, float64(uint32(lim.ToInteger())))
	}
	return g.maxArray(pieces)
}

// replaceBound bounds what replace and replaceAll build with a string
// replacement: every match adds the replacement, $& and $n add at most the
// whole text in total, and $` and $' add up to the whole text per match. A
// function replacement runs JavaScript per match, where the interrupt and
// the heap watch reach it.
func (g jsGuard) replaceBound(c goja.FunctionCall, all bool) error {
	repl, ok := c.Argument(1).Export().(string)
	if !ok {
		return nil
	}
	n := g.length(c.This)
	matches := 1.0
	if re, isObj := c.Argument(0).(*goja.Object); all || (isObj && re.ClassName() == "RegExp") {
		matches = n + 1
	}
	whole := float64(strings.Count(repl, "$&"))
	for d := '0'; d <= '9'; d++ {
		whole += float64(strings.Count(repl, "$"+string(d)))
	}
	perMatch := float64(strings.Count(repl, "$`") + strings.Count(repl, "$'"))
	return g.maxString(n + matches*float64(len(repl)) + whole*n + matches*perMatch*n)
}

// joinBound bounds arr.join(sep): the separators plus the string elements.
func (g jsGuard) joinBound(c goja.FunctionCall) error {
	n := g.length(c.This)
	if err := g.maxArray(n); err != nil {
		return err
	}
	sep := 1.0
	if s := c.Argument(0); !goja.IsUndefined(s) {
		sep = g.length(s.ToString())
	}
	total := max(n-1, 0) * sep
	if obj, ok := c.This.(*goja.Object); ok {
		for i := 0; i < int(n) && total <= jsMaxString; i++ {
			if e := obj.Get(strconv.Itoa(i)); e != nil {
				if _, isStr := e.Export().(string); isStr {
					total += g.length(e)
				}
			}
		}
	}
	return g.maxString(total)
}

// flatCount subtracts from budget the elements arr.flat(depth) would make,
// stopping once the budget is spent (an array nested in itself included).
func (g jsGuard) flatCount(arr *goja.Object, depth float64, budget *float64, level int) {
	n := g.length(arr)
	for i := 0; i < int(n) && *budget >= 0; i++ {
		e, isObj := arr.Get(strconv.Itoa(i)).(*goja.Object)
		if isObj && depth >= 1 && e.ClassName() == "Array" && level < jsMaxCallStack {
			g.flatCount(e, depth-1, budget, level+1)
			continue
		}
		*budget--
	}
}

// guardStringify makes JSON.stringify count what it writes through a
// replacer (the user's replacer, if a function, still runs inside it) and
// stop once the text would pass jsMaxString: a value that holds one big
// string many times serialises to far more than it occupies.
func (g jsGuard) guardStringify() {
	jsonObj := g.vm.Get("JSON").ToObject(g.vm)
	orig, ok := goja.AssertFunction(jsonObj.Get("stringify"))
	if !ok {
		return
	}
	fn := func(c goja.FunctionCall) goja.Value {
		user, isFunc := goja.AssertFunction(c.Argument(1))
		if !isFunc && !goja.IsUndefined(c.Argument(1)) && !goja.IsNull(c.Argument(1)) {
			res, err := orig(c.This, c.Arguments...) // a key list: output only shrinks
			if err != nil {
				panic(err)
			}
			return res
		}
		indent := g.indentWidth(c.Argument(2))
		depth := map[*goja.Object]float64{}
		total := 0.0
		counting := func(rc goja.FunctionCall) goja.Value {
			v := rc.Argument(1)
			if user != nil {
				var err error
				if v, err = user(rc.This, rc.Arguments...); err != nil {
					panic(err)
				}
			}
			d := depth[rc.This.ToObject(g.vm)]
			total += g.length(rc.Argument(0)) + 4 + indent*(d+1)
			switch x := v.(type) {
			case *goja.Object:
				if x.ClassName() != "Function" {
					depth[x] = d + 1
				}
			default:
				if _, isStr := v.Export().(string); isStr {
					total += g.length(v) * 2 // escapes at most double a character
				} else {
					total += 24
				}
			}
			if total > jsMaxString {
				g.stop(stringLimitError(total))
			}
			return v
		}
		res, err := orig(c.This, c.Argument(0), g.vm.ToValue(counting), c.Argument(2))
		if err != nil {
			panic(err)
		}
		return res
	}
	_ = jsonObj.Set("stringify", fn)
}

// indentWidth is how many characters JSON.stringify's space argument
// indents per level (at most 10, as the standard says).
func (g jsGuard) indentWidth(space goja.Value) float64 {
	if space == nil || goja.IsUndefined(space) || goja.IsNull(space) {
		return 0
	}
	if s, ok := space.Export().(string); ok {
		return float64(min(len(s), 10))
	}
	return min(max(space.ToFloat(), 0), 10)
}
