package schema

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// Problem is one way an instance fails a schema: the dotted path of the value
// at fault ("items.0.qty", "" for the whole document) and what is wrong.
type Problem struct {
	Path string
	Msg  string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Msg
	}
	return p.Path + ": " + p.Msg
}

// Validate checks a JSON text against s. It returns nil when the text is
// valid, else the first problem in path order, so the same answer always
// names the same path ("qty: required", "items.0.qty: got string, want
// integer"). Text that is not JSON is a problem at the root.
func Validate(s *jsonschema.Schema, text string) *Problem {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(text)))
	if err != nil {
		return &Problem{Msg: "not JSON: " + strings.TrimPrefix(err.Error(), "jsonschema: ")}
	}
	err = s.Validate(inst)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return &Problem{Msg: err.Error()}
	}
	var all []Problem
	leaves(verr, &all)
	if len(all) == 0 {
		return &Problem{Msg: verr.Error()}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	return &all[0]
}

// leaves phrases each leaf of a validation tree as a Problem.
func leaves(e *jsonschema.ValidationError, out *[]Problem) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, out)
		}
		return
	}
	at := strings.Join(e.InstanceLocation, ".")
	join := func(name string) string {
		if at == "" {
			return name
		}
		return at + "." + name
	}
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, name := range k.Missing {
			*out = append(*out, Problem{Path: join(name), Msg: "required"})
		}
	case *kind.AdditionalProperties:
		for _, name := range k.Properties {
			*out = append(*out, Problem{Path: join(name), Msg: "not allowed by the schema"})
		}
	case *kind.Type:
		*out = append(*out, Problem{Path: at, Msg: fmt.Sprintf("got %s, want %s", k.Got, strings.Join(nullLast(k.Want), " or "))})
	default:
		*out = append(*out, Problem{Path: at, Msg: k.LocalizedString(printer)})
	}
}

// nullLast lists the wanted types with "null" last: an optional field's
// type is [T, "null"], and the reader needs T first.
func nullLast(want []string) []string {
	out := slices.DeleteFunc(slices.Clone(want), func(t string) bool { return t == "null" })
	if len(out) < len(want) {
		out = append(out, "null")
	}
	return out
}
