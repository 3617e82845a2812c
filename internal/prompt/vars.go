package prompt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// VarError is one var that does not fit the prompt's input schema. Var is the
// top-level var name, so a caller can point at the line that sets it.
type VarError struct {
	Var string
	Msg string
}

func (e *VarError) Error() string { return fmt.Sprintf("var %q: %s", e.Var, e.Msg) }

// VarErrors is every schema problem in one set of vars, sorted by var name.
type VarErrors []*VarError

func (l VarErrors) Error() string {
	msgs := make([]string, len(l))
	for i, e := range l {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "; ")
}

var printer = message.NewPrinter(language.English)

// CheckVars validates vars (merged over input.default) against the prompt's
// input.schema, so a mistyped var fails before any model call. It returns nil
// when the prompt has no schema, or VarErrors naming each var and the type the
// schema expects; the caller adds the suite's file and line.
func (p *Prompt) CheckVars(vars map[string]any) error {
	if p.schema == nil {
		return nil
	}
	merged := make(map[string]any, len(p.Defaults)+len(vars))
	maps.Copy(merged, p.Defaults)
	maps.Copy(merged, vars)
	raw, err := json.Marshal(merged)
	if err != nil {
		return fmt.Errorf("check vars: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("check vars: %w", err)
	}
	err = p.schema.Validate(inst)
	var verr *jsonschema.ValidationError
	if err == nil {
		return nil
	}
	if !errors.As(err, &verr) {
		return fmt.Errorf("check vars: %w", err)
	}
	var out VarErrors
	collectVarErrors(verr, p.InputSchema, &out)
	if len(out) == 0 {
		out = append(out, &VarError{Var: "", Msg: verr.Error()})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Var < out[j].Var })
	return slices.CompactFunc(out, func(a, b *VarError) bool { return *a == *b })
}

// collectVarErrors walks the validation tree to its leaves and phrases each as
// a problem with one var.
func collectVarErrors(e *jsonschema.ValidationError, schema []byte, out *VarErrors) {
	if len(e.Causes) > 0 {
		for _, c := range relevantCauses(e) {
			collectVarErrors(c, schema, out)
		}
		return
	}
	at := strings.Join(e.InstanceLocation, ".")
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			v := name
			if at != "" {
				v = e.InstanceLocation[0]
				name = at + "." + name
			}
			msg := "missing required var"
			if at != "" {
				msg = fmt.Sprintf("missing required field %s", name)
			} else if t := declaredType(schema, name); t != "" {
				msg += ", want " + t
			}
			*out = append(*out, &VarError{Var: v, Msg: msg})
		}
	case *kind.Enum:
		*out = append(*out, &VarError{Var: firstOr(e.InstanceLocation, ""), Msg: describe(at, fmt.Sprintf("got %s, want one of %s", jsonText(k.Got), enumText(k.Want)))})
	case *kind.Type:
		want := k.Want
		if len(want) > 1 {
			// An optional var's type is [T, "null"]: a user who set it meant T.
			want = slices.DeleteFunc(slices.Clone(want), func(t string) bool { return t == "null" })
		}
		*out = append(*out, &VarError{Var: firstOr(e.InstanceLocation, ""), Msg: describe(at, fmt.Sprintf("got %s, want %s", k.Got, strings.Join(want, " or ")))})
	default:
		*out = append(*out, &VarError{Var: firstOr(e.InstanceLocation, ""), Msg: describe(at, k.LocalizedString(printer))})
	}
}

// relevantCauses drops the "want null" branch of an optional var's anyOf
// (Picoschema writes `x?: T` as anyOf [T, null]): a user who set the var meant T.
func relevantCauses(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
	default:
		return e.Causes
	}
	var kept []*jsonschema.ValidationError
	for _, c := range e.Causes {
		if t, ok := c.ErrorKind.(*kind.Type); ok && len(t.Want) == 1 && t.Want[0] == "null" {
			continue
		}
		kept = append(kept, c)
	}
	if len(kept) == 0 {
		return e.Causes
	}
	return kept
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func enumText(want []any) string {
	parts := make([]string, len(want))
	for i, w := range want {
		parts[i] = jsonText(w)
	}
	return strings.Join(parts, ", ")
}

func describe(at, msg string) string {
	if i := strings.IndexByte(at, '.'); i >= 0 {
		return "at " + at[i+1:] + ": " + msg
	}
	return msg
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// declaredType reads the JSON type the schema declares for a top-level var.
func declaredType(schema []byte, name string) string {
	var s struct {
		Properties map[string]struct {
			Type any   `json:"type"` // "T", or [T, "null"] for an optional field
			Enum []any `json:"enum"`
		} `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil {
		return ""
	}
	prop := s.Properties[name]
	switch t := prop.Type.(type) {
	case string:
		return t
	case []any:
		var types []string
		for _, x := range t {
			if x, ok := x.(string); ok && x != "null" {
				types = append(types, x)
			}
		}
		if len(types) > 0 {
			return strings.Join(types, " or ")
		}
	}
	if len(prop.Enum) > 0 {
		return fmt.Sprintf("one of %v", prop.Enum)
	}
	return ""
}
