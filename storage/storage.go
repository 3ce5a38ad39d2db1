// Package storage keeps feedloom's state in one SQLite file (modernc.org/sqlite,
// no cgo): sources and their fetch state, articles stored once however many
// sources carry them, tags, and related-post lists.
//
// It exists so that the rest of the daemon never writes SQL: every exported
// method owns its transaction. Writes go through a one-connection pool
// (SQLite allows one writer; queuing in Go avoids SQLITE_BUSY storms), reads
// through a pool of read-only connections that WAL lets run beside the writer.
package storage

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// basePragmas are in the DSN so that every pooled connection has them.
// auto_vacuum only takes effect while the file is new (before the first
// table), which is what lets Prune give space back with incremental_vacuum.
const basePragmas = "_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// writerPragmas apply to the write connection only: auto_vacuum (a no-op
// once the file has tables); a 16 MB checkpoint interval, so that index pages
// many feeds touch are copied into the file once per checkpoint rather than
// every 4 MB (~25% faster bulk ingest), with the WAL truncated back to 64 MB;
// a 16 MB page cache for the indexes dedupe probes.
const writerPragmas = "&_pragma=auto_vacuum(INCREMENTAL)&_pragma=wal_autocheckpoint(4000)" +
	"&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-16384)"

// DB is feedloom's store. It is safe for concurrent use.
type DB struct {
	path  string
	dsn   string
	w     *sql.DB // the writer: one connection
	r     *sql.DB // readers: query_only connections
	st    *stmts  // prepared on w, reused by every write transaction
	tags  tagCache
	gen   atomic.Uint64
	rconn int
}

// Open creates (if needed) and migrates the database at path. The path must
// name a file: an in-memory database behind a pool would be one database per
// connection.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
		return nil, fmt.Errorf("open database %q: a file path is required", path)
	}
	dsn := "file:" + escapePath(path) + "?" + basePragmas
	db := &DB{path: path, dsn: dsn, rconn: max(4, runtime.GOMAXPROCS(0))}
	db.tags.ids = make(map[string]int64)
	db.gen.Store(1)

	w, err := sql.Open("sqlite", dsn+writerPragmas)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	db.w = w
	if err := db.migrate(ctx); err != nil {
		return nil, errors.Join(err, w.Close())
	}
	if _, err := w.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: optimize: %w", path, err), w.Close())
	}
	if db.st, err = prepareStmts(ctx, w); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), w.Close())
	}

	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), db.st.close(), w.Close())
	}
	r.SetMaxOpenConns(db.rconn)
	r.SetMaxIdleConns(db.rconn)
	r.SetConnMaxIdleTime(5 * time.Minute)
	db.r = r
	if err := r.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), db.Close())
	}
	return db, nil
}

// escapePath makes a file path safe inside a "file:" URI.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// Close releases both pools. Further calls fail.
func (db *DB) Close() error {
	var errs []error
	if db.st != nil {
		errs = append(errs, db.st.close())
	}
	if db.r != nil {
		errs = append(errs, db.r.Close())
	}
	if db.w != nil {
		// Lets SQLite refresh its statistics for the next start; harmless to skip.
		if _, err := db.w.Exec("PRAGMA optimize"); err != nil {
			errs = append(errs, fmt.Errorf("close database: optimize: %w", err))
		}
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Ping reports whether the database answers a query (for /healthz).
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1 FROM meta WHERE id = 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Generation changes whenever the stored data may have changed: after every
// committed write through this DB, and when Watch notices another process's
// write. Caches key on it; reading it is one atomic load.
func (db *DB) Generation() uint64 { return db.gen.Load() }

// Watch polls the database every interval for writes made by other processes
// (`feedloom fetch` while `serve` runs) and bumps Generation when it sees one.
// It returns when ctx ends.
func (db *DB) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 2 * time.Second
	}
	last, err := db.metaGeneration(ctx)
	if err != nil {
		last = -1
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g, err := db.metaGeneration(ctx)
			if err != nil || g == last {
				continue // a failed poll is retried on the next tick
			}
			last = g
			db.gen.Add(1)
		}
	}
}

func (db *DB) metaGeneration(ctx context.Context) (int64, error) {
	var g int64
	if err := db.r.QueryRowContext(ctx, "SELECT generation FROM meta WHERE id = 1").Scan(&g); err != nil {
		return 0, fmt.Errorf("read generation: %w", err)
	}
	return g, nil
}

// writeTx runs fn in one write transaction that also bumps the stored
// generation (for other processes' Watch), and bumps Generation after commit.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, db.st.bump).ExecContext(ctx); err != nil {
			return fmt.Errorf("bump generation: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	db.gen.Add(1)
	return nil
}

// rawTx runs fn in one immediate write transaction.
func (db *DB) rawTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
				err = errors.Join(err, fmt.Errorf("rollback: %w", rerr))
			}
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// readTx runs fn in one read transaction, so that its queries see one snapshot.
func (db *DB) readTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin read: %w", err)
	}
	defer func() {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			err = errors.Join(err, fmt.Errorf("end read: %w", rerr))
		}
	}()
	return fn(tx)
}

// migration is one numbered file of migrations/.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", e.Name())
		}
		data, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", e.Name(), err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(data)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrate applies, in order, each migration newer than PRAGMA user_version,
// each in its own immediate transaction that also sets user_version, so two
// processes starting at once cannot both apply one.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	var cur int
	if err := db.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&cur); err != nil {
		return fmt.Errorf("migrate %s: read user_version: %w", db.path, err)
	}
	if cur > len(ms) {
		return fmt.Errorf("migrate %s: schema version %d is newer than this feedloom knows (%d)", db.path, cur, len(ms))
	}
	for _, m := range ms[cur:] {
		err := db.rawTx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return fmt.Errorf("read user_version: %w", err)
			}
			if v >= m.version {
				return nil // another process got there first
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version))
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %s: %w", db.path, m.name, err)
		}
	}
	return nil
}
