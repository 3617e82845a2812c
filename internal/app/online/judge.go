package online

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/promptgate/promptgate/internal/config"
	"github.com/promptgate/promptgate/internal/llm"
)

// JudgeKeys says which of serve's environment variables each repository's
// judge may read its API key from: PROMPTGATE_JUDGE_KEYS lists
// owner/repo=VARIABLE pairs. A repository's promptgate.yaml chooses its
// providers' base_url, so a key it was not granted would be sent wherever it
// says; without a grant its providers are called without a key.
type JudgeKeys map[string][]string

// ParseJudgeKeys reads PROMPTGATE_JUDGE_KEYS.
func ParseJudgeKeys(s string) (JudgeKeys, error) {
	out := JudgeKeys{}
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
		out[repo] = append(out[repo], env)
	}
	return out, nil
}

func (k JudgeKeys) granted(repo, env string) bool {
	for _, e := range k[strings.ToLower(repo)] {
		if e == env {
			return true
		}
	}
	return false
}

// NewJudge returns the JudgeFactory serve uses: an llm.Client over the
// repository's providers, with their concurrency and rate limits, and each
// provider's key read from serve's environment only when keys grants it.
func NewJudge(keys JudgeKeys, getenv func(string) string, log *slog.Logger) JudgeFactory {
	if log == nil {
		log = slog.Default()
	}
	return func(repo string, cfg *config.Config) (llm.Completer, error) {
		var providers []llm.Provider
		for _, p := range cfg.Providers {
			key := ""
			if keys.granted(repo, p.APIKeyEnv) {
				key = getenv(p.APIKeyEnv)
			}
			providers = append(providers, llm.Provider{Name: p.Name, BaseURL: p.ResolveBaseURL(getenv), APIKeyEnv: p.APIKeyEnv,
				APIKey: key, Concurrency: p.Concurrency, Timeout: p.Timeout, MaxRetries: p.MaxRetries, RPM: p.RPM, TPM: p.TPM,
				RateLimitWait: p.RateLimitWait, Azure: p.Azure, APIVersion: p.APIVersion})
		}
		c, err := llm.New(llm.Options{Providers: providers, Default: cfg.DefaultProvider, Mode: llm.CacheOff,
			Logger: log.With("repo", repo, "component", "online judge")})
		if err != nil {
			return nil, fmt.Errorf("build the judge client of %s: %w", repo, err)
		}
		return c, nil
	}
}
