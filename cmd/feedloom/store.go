package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/feedloom/feedloom/feeds/config"
	"github.com/feedloom/feedloom/storage"
)

// openStore opens the database the config names, migrating it when needed.
// Only serve and fetch create it (create true): any other command run from
// the wrong folder, or before the first fetch, would otherwise make an empty
// database, answer from it ("not found", "backup written") and leave it
// behind. cfgPath is named in the hint.
func openStore(ctx context.Context, cfg *config.Config, cfgPath string, create bool) (*storage.DB, error) {
	if !create {
		if err := databaseExists(cfg.Database, cfgPath); err != nil {
			return nil, err
		}
	}
	// storage.Open names the path in its errors already.
	return storage.Open(ctx, cfg.Database)
}

// databaseExists returns an error naming the absolute path it looked at,
// and what to do, when the file is missing.
func databaseExists(path, cfgPath string) error {
	abs := absPath(path)
	_, err := os.Stat(abs)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("database %s: %w", abs, err)
	}
	hint := "run 'feedloom fetch' or 'feedloom serve' to create it"
	if !filepath.IsAbs(path) {
		wd, _ := os.Getwd()
		hint = fmt.Sprintf("database: %q in %s is relative to the working directory %s; run from the folder that holds it, make database: absolute, or %s",
			path, cfgPath, wd, hint)
	}
	return fmt.Errorf("no database at %s: %s", abs, hint)
}

// withStore loads the config, opens the store (which must exist unless
// create), runs fn and closes the store, reporting errors the way every
// command does.
func withStore(ctx context.Context, e *env, c *command, cfgPath string, create bool, fn func(*config.Config, *storage.DB) int) int {
	cfg := loadConfig(e, cfgPath)
	if cfg == nil {
		return exitFailure
	}
	db, err := openStore(ctx, cfg, cfgPath, create)
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

// absPath is path made absolute for messages, or path itself if that fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
