// Package defaults fills the numeric fields of an options struct that were
// left unset. The packages whose New takes an Options value (webhook, online)
// treat zero, and any value at or below zero, as "use the default", and say
// so once here rather than in an if block per field.
package defaults

// Number is a numeric option type: a count, a size in bytes, a duration.
type Number interface {
	~int | ~int64 | ~float64
}

// Positive sets *v to d unless *v is above zero.
func Positive[T Number](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
