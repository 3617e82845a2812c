package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/promptgate/promptgate/internal/app/githubapp"
)

// runServe is `promptgate serve`: the GitHub App's webhook server.
func runServe(ctx context.Context, args []string, env Env) error {
	cfg, err := githubapp.ConfigFromEnv(env.Getenv, args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(env.Stdout, githubapp.Usage())
		return err
	}
	if err != nil {
		return usageError{msg: "serve: " + err.Error()}
	}
	log := githubapp.NewLogger(env.Stderr, cfg.LogLevel)
	if err := githubapp.Run(ctx, cfg, log); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
