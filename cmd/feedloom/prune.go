package main

import (
	"context"
	"fmt"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

func runPrune(ctx context.Context, e *env, c *command, args []string) int {
	fs, cfgPath := c.flags(e)
	if ok, st := c.noArgs(e, fs, args); !ok {
		return st
	}
	return withStore(ctx, e, c, *cfgPath, false, func(cfg *config.Config, db *storage.DB) int {
		log := newLogger(e.stderr, cfg.LogFormat, "warn")
		p, err := newPipeline(cfg, db, log, nil, "", nil)
		if err != nil {
			return fail(e, c, err)
		}
		// The index is needed to repair the lists that lose an entry.
		if err := p.sched.BuildIndex(ctx); err != nil {
			return fail(e, c, fmt.Errorf("build related index: %w", err))
		}
		n, err := p.sched.Retain(ctx)
		if err != nil {
			return fail(e, c, err)
		}
		fmt.Fprintf(e.stdout, "pruned %d articles (max_age %s, max_per_source %d)\n", n, cfg.Retention.MaxAge, cfg.Retention.MaxPerSource)
		return exitOK
	})
}
