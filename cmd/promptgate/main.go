// Command promptgate evaluates, costs and rolls out LLM prompt changes from pull requests.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/promptgate/promptgate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
