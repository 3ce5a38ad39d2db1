package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// loadConfig reads and validates the config, printing every problem on
// stderr. It returns nil when the config is unusable.
func loadConfig(e *env, path string) *config.Config {
	cfg, err := config.Load(path)
	if err != nil {
		var list config.Errors
		if errors.As(err, &list) {
			for _, p := range list {
				fmt.Fprintln(e.stderr, p.Error())
			}
			fmt.Fprintf(e.stderr, "%s: %d problem(s)\n", path, len(list))
			return nil
		}
		fmt.Fprintf(e.stderr, "%s\n", err)
		return nil
	}
	return cfg
}

func runCheck(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	checkDB := fs.Bool("db", false, "also check the database's integrity (SQLite quick_check, read-only; about a second per GB)")
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	cfg := loadConfig(e, *cfgPath)
	if cfg == nil {
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s: ok (%d sources, %d outputs)\n", *cfgPath, len(cfg.Sources), len(cfg.Outputs))
	if !*checkDB {
		return exitOK
	}
	return withReadStore(ctx, e, c, *cfgPath, func(cfg *config.Config, db *storage.DB) int {
		if err := db.QuickCheck(ctx); err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", cfg.Database)
		return exitOK
	})
}
