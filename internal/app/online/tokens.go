package online

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"strings"
)

// MinTokenLen is the shortest bearer token PROMPTGATE_OTLP_TOKENS accepts.
const MinTokenLen = 16

// Tokens maps OTLP bearer tokens to the one repository each stands for.
type Tokens struct {
	entries []tokenEntry
}

type tokenEntry struct {
	repo string
	hash [sha256.Size]byte
}

// ParseTokens reads PROMPTGATE_OTLP_TOKENS: comma-separated owner/repo=TOKEN
// pairs. A repository may have several tokens (for rotation); a token may
// stand for one repository only. Errors name the pair by position, never the
// token.
func ParseTokens(s string) (Tokens, error) {
	var t Tokens
	seen := map[[sha256.Size]byte]string{}
	for i, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		repo, tok, ok := strings.Cut(pair, "=")
		repo, tok = strings.TrimSpace(repo), strings.TrimSpace(tok)
		owner, name, slash := strings.Cut(repo, "/")
		switch {
		case !ok:
			return Tokens{}, fmt.Errorf("PROMPTGATE_OTLP_TOKENS entry %d: want owner/repo=TOKEN", i+1)
		case !slash || owner == "" || name == "" || strings.ContainsAny(name, "/ ") || strings.ContainsAny(owner, " "):
			return Tokens{}, fmt.Errorf("PROMPTGATE_OTLP_TOKENS entry %d: %q is not owner/repo", i+1, repo)
		case len(tok) < MinTokenLen:
			return Tokens{}, fmt.Errorf("PROMPTGATE_OTLP_TOKENS entry %d (%s): the token is shorter than %d characters", i+1, repo, MinTokenLen)
		}
		h := sha256.Sum256([]byte(tok))
		if other, dup := seen[h]; dup && !strings.EqualFold(other, repo) {
			return Tokens{}, fmt.Errorf("PROMPTGATE_OTLP_TOKENS entry %d (%s): the same token is given to %s; each token stands for one repository", i+1, repo, other)
		}
		seen[h] = repo
		t.entries = append(t.entries, tokenEntry{repo: repo, hash: h})
	}
	return t, nil
}

// Empty reports whether no token is configured (the receiver is off).
func (t Tokens) Empty() bool { return len(t.entries) == 0 }

// Equal reports whether t and o hold the same tokens for the same
// repositories, in the same order.
func (t Tokens) Equal(o Tokens) bool {
	if len(t.entries) != len(o.entries) {
		return false
	}
	for i := range t.entries {
		if t.entries[i] != o.entries[i] {
			return false
		}
	}
	return true
}

// Repos returns the repositories with a token, in configuration order.
func (t Tokens) Repos() []string {
	var out []string
	for _, e := range t.entries {
		out = append(out, e.repo)
	}
	return out
}

// Repo returns the repository a bearer token stands for. Every entry is
// compared, in constant time, whatever matches.
func (t Tokens) Repo(bearer string) (string, bool) {
	h := sha256.Sum256([]byte(bearer))
	repo := ""
	for _, e := range t.entries {
		if subtle.ConstantTimeCompare(h[:], e.hash[:]) == 1 {
			repo = e.repo
		}
	}
	return repo, repo != "" && bearer != ""
}
