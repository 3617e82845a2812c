package online

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// JudgeKeys are the API keys each repository's judge may use: per lower-case
// owner/repo, the granted variable names and their values in serve's
// environment. PROMPTGATE_JUDGE_KEYS lists owner/repo=VARIABLE pairs. A
// repository's promptgate.yaml chooses its providers' base_url, so a key it
// was not granted would be sent wherever it says; without a grant its
// providers are called without a key. Never log it.
type JudgeKeys map[string]map[string]string

// ParseJudgeKeys reads PROMPTGATE_JUDGE_KEYS and the granted variables'
// values through getenv. It returns nil when nothing is granted.
func ParseJudgeKeys(s string, getenv func(string) string) (JudgeKeys, error) {
	var out JudgeKeys
	for i, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		repo, env, ok := strings.Cut(pair, "=")
		repo, env = strings.ToLower(strings.TrimSpace(repo)), strings.TrimSpace(env)
		if !ok || !strings.Contains(repo, "/") || env == "" {
			return nil, fmt.Errorf("PROMPTGATE_JUDGE_KEYS entry %d: want owner/repo=VARIABLE", i+1)
		}
		if prefix, reserved := config.ReservedKeyEnv(env); reserved || strings.HasPrefix(env, "PROMPTGATE_") {
			if !reserved {
				prefix = "PROMPTGATE_"
			}
			return nil, fmt.Errorf("PROMPTGATE_JUDGE_KEYS entry %d: %s is a %s* variable, which holds serve's own secrets", i+1, env, prefix)
		}
		if out == nil {
			out = JudgeKeys{}
		}
		if out[repo] == nil {
			out[repo] = map[string]string{}
		}
		out[repo][env] = getenv(env)
	}
	return out, nil
}

// key returns the value of env granted to repo, or "".
func (k JudgeKeys) key(repo, env string) string { return k[strings.ToLower(repo)][env] }

// NewJudge returns the JudgeFactory serve uses: an llm.Client over the
// repository's providers, with their concurrency and rate limits, and each
// provider's key only when keys grants it. A provider without base_url is
// OpenAI's API: serve's own $OPENAI_BASE_URL is not the repository's to use.
func NewJudge(keys JudgeKeys, log *slog.Logger) JudgeFactory {
	if log == nil {
		log = slog.Default()
	}
	return func(repo string, cfg *config.Config) (llm.Completer, error) {
		var providers []config.Provider
		for _, p := range cfg.Providers {
			p.BaseURL = p.ResolveBaseURL(noEnv)
			p.APIKey = keys.key(repo, p.APIKeyEnv)
			providers = append(providers, p)
		}
		c, err := llm.New(llm.Options{Providers: providers, Default: cfg.DefaultProvider, Mode: llm.CacheOff,
			Logger: log.With("repo", repo, "component", "online judge")})
		if err != nil {
			return nil, fmt.Errorf("build the judge client of %s: %w", repo, err)
		}
		return c, nil
	}
}

func noEnv(string) string { return "" }
