package assert

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// regexTimeout bounds one match, so a pattern with catastrophic backtracking
// fails the assertion instead of hanging the run.
const regexTimeout = 5 * time.Second

// DefaultRegexBudget is the matching time all regex assertions of one run
// share: a legitimate match takes microseconds, so only patterns built to
// backtrack reach it, and each of them may cost up to regexTimeout.
const DefaultRegexBudget = 60 * time.Second

// RegexBudget bounds the total time regex assertions spend matching, across
// every case of a run (one match alone is bounded by regexTimeout). A nil
// budget bounds nothing. It is safe for concurrent use.
type RegexBudget struct {
	total time.Duration
	spent atomic.Int64 // nanoseconds
}

// NewRegexBudget returns a budget of total matching time.
func NewRegexBudget(total time.Duration) *RegexBudget {
	return &RegexBudget{total: total}
}

// exhausted reports, as an error naming the budget, that matching time is
// spent.
func (b *RegexBudget) exhausted() error {
	if b == nil || time.Duration(b.spent.Load()) < b.total {
		return nil
	}
	return fmt.Errorf("regex assertions used up their matching-time budget of %s for this run", b.total)
}

// charge adds one match's time to the budget.
func (b *RegexBudget) charge(d time.Duration) {
	if b != nil {
		b.spent.Add(int64(d))
	}
}

// matchRegex tests the output against a JavaScript regular expression, as
// promptfoo's new RegExp(value).test(output) does: no flags, so ^ and $
// anchor the whole text and . stops at line terminators. An invalid
// expression fails, even when negated.
func (a Assertion) matchRegex(v verdict, text string, vars map[string]any) verdict {
	expr := a.Value.(string)
	re, err := a.re, a.reErr
	if a.templed {
		expr = substitute(expr, vars)
		re, err = compileJSRegex(expr)
	}
	v.predicate = "match /" + clip(expr) + "/"
	if err != nil {
		v.broken, v.detail = true, "(invalid regular expression: "+oneLine(err.Error())+")"
		return v
	}
	ok, err := re.MatchString(text)
	if err != nil {
		v.broken, v.detail = true, "("+oneLine(err.Error())+")"
		return v
	}
	v.holds = ok
	return v
}

// compileJSRegex compiles a JavaScript regular expression (no flags), as
// promptfoo's new RegExp(value) does.
func compileJSRegex(expr string) (*regexp2.Regexp, error) {
	if err := checkJSGroups(expr); err != nil {
		return nil, err
	}
	re, err := regexp2.Compile(expr, regexp2.ECMAScript)
	if err != nil {
		return nil, err
	}
	re.MatchTimeout = regexTimeout
	return re, nil
}

// checkJSGroups rejects group syntax JavaScript does not have, which the
// engine would accept: inline flags such as (?i) and other (?x forms. Only
// (?: (?= (?! (?<= (?<! and (?<name> open a special group in JavaScript.
func checkJSGroups(expr string) error {
	inClass := false
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(' && i+2 < len(expr) && expr[i+1] == '?':
			switch next := expr[i+2]; {
			case next == ':' || next == '=' || next == '!':
			case next == '<' && i+3 < len(expr) && expr[i+3] != '=' && expr[i+3] != '!':
			case next == '<':
			default:
				return fmt.Errorf("invalid group (?%c at offset %d: JavaScript has no inline flags", next, i)
			}
		case c == '(' && i+1 < len(expr) && expr[i+1] == '?':
			return fmt.Errorf("invalid group at offset %d", i)
		}
	}
	return nil
}
