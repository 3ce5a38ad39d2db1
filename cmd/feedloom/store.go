package main

import (
	"context"
	"fmt"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// openStore opens (creating and migrating when needed) the database the
// config names.
func openStore(ctx context.Context, cfg *config.Config) (*storage.DB, error) {
	db, err := storage.Open(ctx, cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", cfg.Database, err)
	}
	return db, nil
}

// withStore loads the config, opens the store, runs fn and closes the store,
// reporting errors the way every command does.
func withStore(ctx context.Context, e *env, c *command, cfgPath string, fn func(*config.Config, *storage.DB) int) int {
	cfg := loadConfig(e, cfgPath)
	if cfg == nil {
		return exitFailure
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return fail(e, c, err)
	}
	status := fn(cfg, db)
	if err := db.Close(); err != nil {
		fmt.Fprintf(e.stderr, "feedloom %s: close database: %v\n", c.name, err)
		if status == exitOK {
			status = exitFailure
		}
	}
	return status
}
