package assert

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/promptgate/promptgate/internal/schema"
)

// promptfoo validates schemas with ajv (draft-07, strict mode) and
// ajv-formats: an unknown keyword or format is an error, not ignored, and
// formats are asserted. compileSchema does the same.

// draft7Keywords are the keywords ajv knows in its default (draft-07) mode.
var draft7Keywords = []string{
	"$id", "$schema", "$ref", "$comment", "$defs", "definitions",
	"title", "description", "default", "deprecated", "readOnly", "writeOnly", "examples",
	"type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
	"maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "maxProperties", "minProperties",
	"required", "format", "items", "additionalItems", "contains", "properties", "patternProperties",
	"additionalProperties", "dependencies", "propertyNames", "if", "then", "else", "allOf", "anyOf", "oneOf", "not",
	"contentMediaType", "contentEncoding",
}

// ajvFormats are the formats ajv-formats registers; any other is unknown.
var ajvFormats = []string{
	"date", "time", "date-time", "iso-time", "iso-date-time", "duration", "uri", "uri-reference",
	"uri-template", "url", "email", "hostname", "ipv4", "ipv6", "regex", "uuid", "json-pointer",
	"json-pointer-uri-fragment", "relative-json-pointer", "byte", "int32", "int64", "float", "double",
	"password", "binary",
}

// schemaValue turns an assertion value into a schema document: an object as
// is, or a string holding YAML or JSON, as promptfoo accepts.
func schemaValue(v any) (map[string]any, error) {
	if s, ok := v.(string); ok {
		var parsed any
		if err := yaml.Unmarshal([]byte(s), &parsed); err != nil {
			return nil, fmt.Errorf("it is a string that is not YAML or JSON: %v", err)
		}
		v = parsed
	}
	m, ok := jsonValue(v).(map[string]any)
	if !ok {
		return nil, errors.New("it must be an object")
	}
	return m, nil
}

func compileSchema(v any) (*jsonschema.Schema, error) {
	m, err := schemaValue(v)
	if err != nil {
		return nil, err
	}
	if err := strictCheck(m, "#"); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	// A $ref outside the document (a file, a URL) is refused, never loaded:
	// suites come from pull requests, and the content could reach a summary.
	return schema.Compile("assertion.schema.json", doc, func(c *jsonschema.Compiler) {
		c.DefaultDraft(jsonschema.Draft7)
		c.AssertFormat()
		c.UseRegexpEngine(compileSchemaPattern)
		for _, f := range formatOverrides {
			c.RegisterFormat(f)
		}
	})
}

// strictCheck rejects what ajv's strict mode rejects: unknown keywords,
// unknown formats and a $schema other than draft-07.
func strictCheck(v any, at string) error {
	switch v := v.(type) {
	case []any:
		for i, x := range v {
			if err := strictCheck(x, at+"/"+strconv.Itoa(i)); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
	default:
		return nil
	}
	m := v.(map[string]any)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		x := m[k]
		if !slices.Contains(draft7Keywords, k) {
			return fmt.Errorf("strict mode: unknown keyword %q at %s", k, at)
		}
		switch k {
		case "$schema":
			s, _ := x.(string)
			if strings.TrimSuffix(s, "#") != "http://json-schema.org/draft-07/schema" {
				return fmt.Errorf("$schema %q: only draft-07 is supported, as in promptfoo", s)
			}
		case "format":
			if s, _ := x.(string); !slices.Contains(ajvFormats, s) {
				return fmt.Errorf("unknown format %q at %s", s, at)
			}
		case "properties", "patternProperties", "definitions", "$defs", "dependencies":
			sub, _ := x.(map[string]any)
			for name, s := range sub {
				if _, isList := s.([]any); isList && k == "dependencies" {
					continue
				}
				if err := strictCheck(s, at+"/"+k+"/"+name); err != nil {
					return err
				}
			}
		case "items", "additionalItems", "contains", "additionalProperties", "propertyNames",
			"if", "then", "else", "not", "allOf", "anyOf", "oneOf":
			if err := strictCheck(x, at+"/"+k); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonValue converts a YAML-decoded value to the shapes encoding/json uses,
// so map keys are strings.
func jsonValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonValue(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[jsString(k)] = jsonValue(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonValue(x)
		}
		return out
	}
	return v
}

// formatOverrides replace or add formats where ajv-formats' "full" mode
// differs from the library's built-ins.
var formatOverrides = []*jsonschema.Format{
	stringFormat("date", func(s string) bool { return validDate(s) }),
	stringFormat("time", func(s string) bool { return validTime(s, true) }),
	stringFormat("iso-time", func(s string) bool { return validTime(s, false) }),
	stringFormat("date-time", func(s string) bool { return validDateTime(s, true) }),
	stringFormat("iso-date-time", func(s string) bool { return validDateTime(s, false) }),
	stringFormat("email", emailRe.MatchString),
	stringFormat("ipv4", ipv4Re.MatchString),
	stringFormat("uuid", uuidRe.MatchString),
	stringFormat("url", func(s string) bool { return urlRe.MatchString(s) }),
	stringFormat("uri", func(s string) bool {
		return uriCharsRe.MatchString(s) && uriSchemeRe.MatchString(s) && strings.ContainsAny(s, "/:")
	}),
	stringFormat("uri-reference", uriCharsRe.MatchString),
	stringFormat("json-pointer-uri-fragment", pointerFragmentRe.MatchString),
	stringFormat("byte", func(s string) bool {
		_, err := base64.StdEncoding.DecodeString(s)
		return err == nil
	}),
	stringFormat("regex", func(s string) bool {
		_, err := compileJSRegex(s)
		return err == nil && !strings.Contains(s, `\Z`)
	}),
	stringFormat("password", func(string) bool { return true }),
	stringFormat("binary", func(string) bool { return true }),
	numberFormat("int32", func(f float64) bool { return f == math.Trunc(f) && f >= math.MinInt32 && f <= math.MaxInt32 }),
	numberFormat("int64", func(f float64) bool { return f == math.Trunc(f) }),
	numberFormat("float", func(float64) bool { return true }),
	numberFormat("double", func(float64) bool { return true }),
}

var (
	emailRe           = regexp.MustCompile("(?i)^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
	ipv4Re            = regexp.MustCompile(`^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$`)
	uuidRe            = regexp.MustCompile(`(?i)^(urn:uuid:)?[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$`)
	uriCharsRe        = regexp.MustCompile(`^([A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$`)
	uriSchemeRe       = regexp.MustCompile(`(?i)^[a-z][a-z0-9+\-.]*:`)
	urlRe             = regexp.MustCompile(`(?i)^(https?|ftp)://[^\s/?#]+\.[^\s/?#]+(/\S*)?$`)
	pointerFragmentRe = regexp.MustCompile(`(?i)^#(/([a-z0-9_\-.!$&'()*+,;:=@]|%[0-9a-f]{2}|~0|~1)*)*$`)
	dateRe            = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	timeRe            = regexp.MustCompile(`(?i)^(\d\d):(\d\d):(\d\d(?:\.\d+)?)(z|([+-])(\d\d)(?::?(\d\d))?)?$`)
	dateTimeSep       = regexp.MustCompile(`(?i)t|\s`)
)

func stringFormat(name string, ok func(string) bool) *jsonschema.Format {
	return &jsonschema.Format{Name: name, Validate: func(v any) error {
		if s, isStr := v.(string); isStr && !ok(s) {
			return fmt.Errorf("must match format %q", name)
		}
		return nil
	}}
}

func numberFormat(name string, ok func(float64) bool) *jsonschema.Format {
	return &jsonschema.Format{Name: name, Validate: func(v any) error {
		var f float64
		switch n := v.(type) {
		case json.Number:
			var err error
			if f, err = n.Float64(); err != nil {
				return nil
			}
		case float64:
			f = n
		case int:
			f = float64(n)
		default:
			return nil
		}
		if !ok(f) {
			return fmt.Errorf("must match format %q", name)
		}
		return nil
	}}
}

func validDate(s string) bool {
	m := dateRe.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	year, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	day, _ := strconv.Atoi(m[3])
	days := []int{0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	limit := days[month]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		limit = 29
	}
	return day <= limit
}

func validTime(s string, needZone bool) bool {
	m := timeRe.FindStringSubmatch(s)
	if m == nil {
		return false
	}
	hr, _ := strconv.Atoi(m[1])
	minute, _ := strconv.Atoi(m[2])
	sec, _ := strconv.ParseFloat(m[3], 64)
	sign := 1
	if m[5] == "-" {
		sign = -1
	}
	tzH, _ := strconv.Atoi(m[6])
	tzM, _ := strconv.Atoi(m[7])
	if tzH > 23 || tzM > 59 || needZone && m[4] == "" {
		return false
	}
	if hr <= 23 && minute <= 59 && sec < 60 {
		return true
	}
	// A leap second is valid only at 23:59 UTC.
	utcMin := minute - tzM*sign
	utcHr := hr - tzH*sign
	if utcMin < 0 {
		utcHr--
	}
	return (utcHr == 23 || utcHr == -1) && (utcMin == 59 || utcMin == -1) && sec < 61
}

func validDateTime(s string, needZone bool) bool {
	parts := dateTimeSep.Split(s, -1)
	return len(parts) == 2 && validDate(parts[0]) && validTime(parts[1], needZone)
}
