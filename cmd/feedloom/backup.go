package main

import (
	"context"
	"fmt"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runBackup(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := c.parse(e, fs, args); !ok {
		return st
	}
	if fs.NArg() != 1 {
		return usageError(e, c, "want one argument, the backup file")
	}
	dest := fs.Arg(0)
	return withStore(ctx, e, c, *cfgPath, false, func(cfg *config.Config, db *storage.DB) int {
		if err := db.Backup(ctx, dest); err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "backup written to %s\n", dest)
		// An empty backup is most often of the wrong database (a relative
		// database: path run from another folder): say so.
		st, err := db.Stats(ctx)
		if err != nil {
			return fail(e, c, err)
		}
		if st.Articles == 0 {
			fmt.Fprintf(e.stderr, "feedloom backup: warning: %s has no articles (%d sources); the backup is empty\n", absPath(cfg.Database), st.Sources)
		}
		return exitOK
	})
}
