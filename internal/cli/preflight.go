package cli

import (
	"cmp"
	"fmt"
	"sync"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/diag"
	"github.com/promptgate/promptgate/internal/llm"
)

// unreachableErr reports the providers whose base_url the client found
// unable to serve chat completions (nothing listening, a TLS failure, no chat
// path), once each, at providers.NAME.base_url's line: the run stops there
// with exit 2 instead of every case erroring on the same address.
func unreachableErr(cfg *config.Config, client *llm.Client) error {
	var l diag.List
	for _, u := range client.Unreachable() {
		key := "providers." + u.Provider + ".base_url"
		line := cfg.Line(key)
		msg := fmt.Sprintf("%s: %s %s", key, config.RedactURL(u.BaseURL), u.Reason)
		if line == 0 {
			msg = fmt.Sprintf("provider %s (base_url from $OPENAI_BASE_URL or the default): %s %s; set %s in %s",
				u.Provider, config.RedactURL(u.BaseURL), u.Reason, key, cmp.Or(cfg.Path, config.FileName))
		}
		l = append(l, diag.Errorf(cmp.Or(cfg.Path, config.FileName), line, "%s", msg))
	}
	return l.Err()
}

// clientLog remembers the model clients a check built, with the rules each
// was built from, so an unreachable base_url can be named afterwards.
type clientLog struct {
	mu      sync.Mutex
	clients []*llm.Client
	rules   []*config.Config
}

func (c *clientLog) add(rules *config.Config, client *llm.Client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clients = append(c.clients, client)
	c.rules = append(c.rules, rules)
}

// err is the first unreachable provider error over the clients.
func (c *clientLog) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, cl := range c.clients {
		if err := unreachableErr(c.rules[i], cl); err != nil {
			return err
		}
	}
	return nil
}
