package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/promptgate/promptgate/internal/llm"
)

// keyVersion is hashed into every key so that a change to what a key covers
// retires old entries instead of serving them for a different request.
// Version 2 added the provider's endpoint: a response recorded from one server
// never answers for another that a config change points the same provider at.
const keyVersion = 2

// keyInput is the canonical form hashed into a key. encoding/json writes struct
// fields in declaration order and drops unset Params, so equal calls always
// produce equal bytes.
type keyInput struct {
	Version  int           `json:"v"`
	Provider string        `json:"provider"`
	Endpoint string        `json:"endpoint"`
	Model    string        `json:"model"`
	Messages []llm.Message `json:"messages"`
	Params   llm.Params    `json:"params"`
}

// Key is the content address of one model call: the hex SHA-256 of a canonical
// JSON of the provider name, its endpoint (config.Provider.Endpoint: the resolved
// base URL without credentials), the model name sent to it, the rendered
// messages and the generation parameters.
func Key(provider, endpoint, model string, msgs []llm.Message, p llm.Params) string {
	if msgs == nil {
		// nil and empty must hash alike; JSON would write null and [].
		msgs = []llm.Message{}
	}
	if len(p.Stop) == 0 {
		p.Stop = nil
	}
	b, err := json.Marshal(keyInput{Version: keyVersion, Provider: provider, Endpoint: endpoint, Model: model, Messages: msgs, Params: p})
	if err != nil {
		// A NaN or infinite float is the only way to get here; such a call is
		// refused before it is sent, but its key must still be stable and
		// distinct, so fall back to a printed form of the same fields.
		b = fmt.Appendf(nil, "v%d|%q|%q|%q|%q|%s", keyVersion, provider, endpoint, model, msgs, printParams(p))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func printParams(p llm.Params) string {
	f := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(*v)
	}
	seed := "-"
	if p.Seed != nil {
		seed = fmt.Sprint(*p.Seed)
	}
	return fmt.Sprintf("t=%s p=%s max=%d stop=%q seed=%s json=%t", f(p.Temperature), f(p.TopP), p.MaxTokens, p.Stop, seed, p.JSONMode)
}

// validKey reports whether key looks like a Key result, so a key can never
// name a path outside the cache directory.
func validKey(key string) bool {
	if len(key) != sha256.Size*2 {
		return false
	}
	for _, r := range key {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
