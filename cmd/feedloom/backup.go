package main

import (
	"context"
	"fmt"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runBackup(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := parse(fs, args); !ok {
		return st
	}
	if fs.NArg() != 1 {
		return usageError(e, c, "want one argument, the backup file")
	}
	dest := fs.Arg(0)
	return withStore(ctx, e, c, *cfgPath, func(_ *config.Config, db *storage.DB) int {
		if err := db.Backup(ctx, dest); err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "backup written to %s\n", dest)
		return exitOK
	})
}
