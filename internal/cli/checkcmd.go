package cli

import "context"

func runCheck(ctx context.Context, args []string, env Env) error {
	return usageError{msg: "check: not wired yet"}
}
