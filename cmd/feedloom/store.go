package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
	return withStoreOpened(ctx, e, c, cfgPath, func(ctx context.Context, cfg *config.Config) (*storage.DB, error) {
		return openStore(ctx, cfg, cfgPath, create)
	}, fn)
}

// withReadStore is withStore on a store opened read-only: it writes
// nothing, so it works on a full disk and a read-only file. The store must
// exist.
func withReadStore(ctx context.Context, e *env, c *command, cfgPath string, fn func(*config.Config, *storage.DB) int) int {
	return withStoreOpened(ctx, e, c, cfgPath, func(ctx context.Context, cfg *config.Config) (*storage.DB, error) {
		if err := databaseExists(cfg.Database, cfgPath); err != nil {
			return nil, err
		}
		return storage.OpenReadOnly(ctx, cfg.Database) // it names the path
	}, fn)
}

func withStoreOpened(ctx context.Context, e *env, c *command, cfgPath string,
	open func(context.Context, *config.Config) (*storage.DB, error), fn func(*config.Config, *storage.DB) int) int {
	cfg := loadConfig(e, cfgPath)
	if cfg == nil {
		return exitFailure
	}
	db, err := open(ctx, cfg)
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

// startCheckBudget bounds the integrity check at start-up: a store too
// large to check within it is left to `feedloom check -db`.
const startCheckBudget = 3 * time.Second

// checkAtStart runs the store's quick check within startCheckBudget. A
// damaged store is logged and reported by /healthz (503, "malformed"); the
// daemon still serves what it can read.
func checkAtStart(ctx context.Context, log *slog.Logger, db *storage.DB) {
	started := time.Now()
	cctx, cancel := context.WithTimeout(ctx, startCheckBudget)
	defer cancel()
	err := db.QuickCheck(cctx)
	switch {
	case err == nil:
		log.Info("database check ok", "duration", time.Since(started).Round(time.Millisecond))
	case errors.Is(err, storage.ErrCorrupt):
		log.Error("database is damaged: restore a backup (feedloom backup) or rebuild it; /healthz reports it", "error", err)
	case ctx.Err() == nil && cctx.Err() != nil:
		log.Info("database check skipped: not done within its budget; run feedloom check -db", "budget", startCheckBudget)
	default:
		log.Warn("database check failed", "error", err)
	}
}

// faultKinds are the local store faults the metric reports, by label.
var faultKinds = []struct {
	label string
	err   error
}{{"disk_full", storage.ErrDiskFull}, {"read_only", storage.ErrReadOnly}, {"io", storage.ErrIO}, {"corrupt", storage.ErrCorrupt}}

// registerStoreMetrics exports the store's local fault (Fault) as
// feedloom_database_fault{kind}: 1 for the kind the store is in, else 0.
func registerStoreMetrics(reg prometheus.Registerer, db *storage.DB) {
	for _, k := range faultKinds {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "feedloom_database_fault",
			Help:        "Whether the database is in a local failure of this kind (1): disk full, read-only, I/O error, corruption.",
			ConstLabels: prometheus.Labels{"kind": k.label},
		}, func() float64 {
			if errors.Is(db.Fault(), k.err) {
				return 1
			}
			return 0
		}))
	}
}
