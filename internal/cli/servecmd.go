package cli

import "context"

func runServe(ctx context.Context, args []string, env Env) error {
	return usageError{msg: "serve: not wired yet"}
}
