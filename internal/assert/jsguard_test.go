package assert

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// hostileScripts are scripts a fork pull request could add, each with the
// bound it must end at.
var hostileScripts = []struct {
	name, code, limit string
}{
	{"catastrophic regex", "const r = /^(a+)+(?=c)/;\nreturn r.test(\"a\".repeat(40) + \"b\") || true;\n", "time limit"},
	{"128 Mi-element split", `"x".repeat(1 << 27).split("")`, "string limit"},
	{"split of a 1 Mi string", `"x".repeat((1 << 20) + 1).split("")`, "array limit"},
	{"limit error not catchable", "try { \"x\".repeat(1 << 27) } catch (e) {}\nreturn true;\n", "string limit"},
	{"padStart", `"x".padStart(1 << 30).length > 0`, "string limit"},
	{"fill of a long array", `Array(1 << 27).fill(0).length > 0`, "array limit"},
	{"Array.from a length", `Array.from({length: 1 << 27}).length > 0`, "array limit"},
	{"join with a long separator", `Array(1 << 20).join("x".repeat(1 << 10)).length > 0`, "string limit"},
	{"join of one big string many times", `Array(1 << 10).fill("x".repeat(1 << 20)).join("").length > 0`, "string limit"},
	{"concat", `const s = "x".repeat(1 << 21); s.concat(s, s).length > 0`, "string limit"},
	{"replaceAll", `"a".repeat(1 << 20).replaceAll("a", "bbbbbbbb").length > 0`, "string limit"},
	{"flat of a self-nested array", "const a = Array(1 << 10).fill(0); const b = Array(1 << 11).fill(a);\nreturn b.flat().length > 0;\n", "array limit"},
	{"stringify of one string many times", `JSON.stringify(Array(1 << 3).fill("x".repeat(1 << 19))).length > 0`, "string limit"},
	{"doubling loop", "let s = \"x\";\nwhile (true) s += s;\n", "memory limit"},
	{"push loop", "const a = [];\nwhile (true) a.push({v: a.length});\n", "memory limit"},
	{"busy loop", "while (true) {}\nreturn true;\n", "time limit"},
}

func TestJavascriptBounds(t *testing.T) {
	// Not parallel: the heap watch sees the whole process, and these
	// scripts grow it on purpose; the abandoned ones must be gone before
	// the parallel tests start.
	t.Cleanup(jsRunning.Wait)
	for _, tt := range hostileScripts {
		t.Run(tt.name, func(t *testing.T) {
			// A script abandoned by the case before may still be growing
			// the heap this case's watch reads.
			jsRunning.Wait()
			a := mustCompile(t, Spec{Type: "javascript", Value: tt.code})
			var err error
			if tt.limit == "time limit" {
				// Through Evaluate with a short limit: these scripts never
				// end and allocate nothing, so only the clock stops them.
				_, err = Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, Env{JSTimeout: time.Second})
			} else {
				// A size or memory bound is reached after a fixed amount of
				// work, however slow the machine: a long time limit keeps a
				// loaded machine from ending the script at the clock first.
				_, err = a.runJSWithin(Output{Text: "x"}, jsBoundsGenerousTime)
			}
			if err == nil || !errors.Is(err, errJSLimit) || !strings.Contains(err.Error(), tt.limit) {
				t.Fatalf("error = %v, want the %s", err, tt.limit)
			}
		})
	}
}

// jsBoundsGenerousTime is the time limit TestJavascriptBounds gives a script
// meant to end at a size or memory limit.
const jsBoundsGenerousTime = 2 * time.Minute

// TestJavascriptGuardsKeepSemantics runs the guarded built-ins on ordinary
// inputs: they answer as the originals do.
func TestJavascriptGuardsKeepSemantics(t *testing.T) {
	t.Parallel()
	checks := []string{
		`"ab".repeat(3) === "ababab"`,
		`"7".padStart(3, "0") === "007" && "7".padEnd(2) === "7 "`,
		`"a,b,,c".split(",").length === 4 && "abc".split("").join("-") === "a-b-c" && "a1b2".split(/\d/).length === 3`,
		`"a,b,c".split(",", 2).join() === "a,b"`,
		`"abc".concat("d", 1) === "abcd1"`,
		`"a-b-a".replace("a", "[$&]") === "[a]-b-a" && "a-b-a".replaceAll("a", "x") === "x-b-x" && "a1".replace(/(\d)/, "<$1>") === "a<1>"`,
		`"abc".replace(/b/g, m => m.toUpperCase()) === "aBc"`,
		`[1, [2, [3]]].flat().length === 3 && [1, [2, [3]]].flat(Infinity).length === 3`,
		`[1, 2].concat([3], 4).join() === "1,2,3,4" && Array(3).fill(7).join("") === "777"`,
		`Array.from("abc").length === 3 && Array.from({length: 2}, (_, i) => i).join() === "0,1"`,
		`JSON.stringify({a: [1, "x"], b: null}) === '{"a":[1,"x"],"b":null}'`,
		`JSON.stringify({a: {b: 1}}, null, 2) === '{\n  "a": {\n    "b": 1\n  }\n}'`,
		`JSON.stringify({a: 1, b: 2}, (k, v) => k === "b" ? undefined : v) === '{"a":1}'`,
		`JSON.stringify({a: 1, b: 2}, ["b"]) === '{"b":2}'`,
		`JSON.stringify({toJSON() { return "t" }}) === '"t"' && JSON.stringify(undefined) === undefined`,
		`String.prototype.repeat.name === "repeat" && String.prototype.padStart.length === 1`,
		`typeof Uint8Array === "undefined" && typeof ArrayBuffer === "undefined"`,
	}
	for i, code := range checks {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			t.Parallel()
			a := mustCompile(t, Spec{Type: "javascript", Value: code})
			g, err := Evaluate(context.Background(), []Assertion{a}, nil, Output{Text: "x"}, Env{})
			if err != nil || !g.Pass {
				t.Fatalf("%s: pass=%v reason=%q err=%v", code, g.Pass, g.Reason, err)
			}
		})
	}
}
