// Package gitsha shortens commit SHAs for people to read, one width for every
// message, reply and report promptgate writes.
package gitsha

// ShortLen is how many hex digits Short keeps: git's default abbreviation.
const ShortLen = 7

// Short returns sha's first ShortLen characters, or sha itself when it is no
// longer (a branch name, an empty string).
func Short(sha string) string {
	if len(sha) > ShortLen {
		return sha[:ShortLen]
	}
	return sha
}
