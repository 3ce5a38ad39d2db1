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
	"hash/maphash"
	"io/fs"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// basePragmas are in the DSN so that every pooled connection has them.
// auto_vacuum only takes effect while the file is new (before the first
// table), which is what lets Prune give space back with incremental_vacuum.
const basePragmas = "_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// writerPragmas apply to the write connection only: auto_vacuum (a no-op
// once the file has tables); a 64 MB checkpoint interval, so that index
// pages many feeds touch are copied into the file once per checkpoint rather
// than every few MB, with the WAL truncated back to 64 MB; a 4 MB page
// cache for the indexes dedupe probes (a larger one costs peak RSS and
// gains no time); and temp_store=MEMORY, which keeps the statement
// journals of multi-row inserts off disk.
//
// Foreign keys are declared in the schema but not enforced by the writer
// (SQLite's default, spelled out): the checks would probe the parent of
// every row a feed adds (source, article, tag), a cost paid on every
// insert for what the writes already ensure. The writes keep their
// references sound themselves: every id one writes was inserted or read in the same
// transaction, under the write lock, and deleting an article deletes the
// rows that refer to it (deleteArticles) instead of leaving that to ON
// DELETE CASCADE. Tests check every store they leave with
// foreign_key_check (storage/storagetest). Switching enforcement on and
// off around some transactions instead would expire every prepared
// statement at each switch.
const writerPragmas = "&_pragma=foreign_keys(0)&_pragma=auto_vacuum(INCREMENTAL)&_pragma=wal_autocheckpoint(16000)" +
	"&_pragma=journal_size_limit(67108864)&_pragma=cache_size(-4096)&_pragma=temp_store(MEMORY)"

// DB is feedloom's store. It is safe for concurrent use.
type DB struct {
	path string
	dsn  string
	w    *sql.DB // the writer: one connection
	r    *sql.DB // readers: query_only connections, for pages and feeds
	// c is a small query_only pool for the control plane (health checks,
	// the scheduler's state and index reads), so neither waits behind
	// page renders when readers poll hard.
	c     *sql.DB
	state *sql.Stmt // SourceState's query, prepared on c: every fetch reads it
	st    *stmts    // prepared on w, reused by every write transaction
	tags  tagCache
	gen   atomic.Uint64 // content generation (Generation)
	sgen  atomic.Uint64 // every committed write (StateGeneration)
	meta  metaSeen
	wmu   sync.Mutex // one writeTx at a time, bookkeeping included
	known knownKeys  // dedupe keys the store holds (approximately); under wmu
	queue writeQueue // writeGrouped calls waiting for wmu
	rconn int
	// faults is the local failure (disk full, read-only, I/O, corruption)
	// the store is in, for Ping and Fault.
	faults   faults
	readOnly bool // opened by OpenReadOnly
}

// metaSeen is the last meta row this process knows: the stored counters as
// its own last write left them or as Watch last read them. A stored value
// beyond it is another process's write.
type metaSeen struct {
	mu      sync.Mutex
	gen     int64 // meta.generation
	content int64 // meta.content_generation
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
	db.known.seed = maphash.MakeSeed()
	db.gen.Store(1)
	db.sgen.Store(1)

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
		return nil, errors.Join(classify(err), w.Close())
	}
	if err := w.QueryRowContext(ctx, "SELECT generation, content_generation FROM meta WHERE id = 1").
		Scan(&db.meta.gen, &db.meta.content); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: read generation: %w", path, err), w.Close())
	}
	if _, err := w.ExecContext(ctx, "PRAGMA optimize=0x10002"); err != nil {
		// Damage that optimize's reads meet is reported by Ping (/healthz)
		// rather than refusing to open: what can be read is still served.
		if err = db.faults.note(err); !errors.Is(err, ErrCorrupt) {
			return nil, errors.Join(fmt.Errorf("open database %s: optimize: %w", path, err), w.Close())
		}
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
	c, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), db.Close())
	}
	c.SetMaxOpenConns(2)
	c.SetMaxIdleConns(2)
	c.SetConnMaxIdleTime(5 * time.Minute)
	db.c = c
	if db.state, err = c.PrepareContext(ctx, `SELECT `+stateCols+` FROM sources s WHERE s.name = ?`); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), db.Close())
	}
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
	if db.state != nil {
		errs = append(errs, db.state.Close())
	}
	if db.c != nil {
		errs = append(errs, db.c.Close())
	}
	if db.w != nil {
		// Lets SQLite refresh its statistics for the next start; harmless to skip.
		if _, err := db.w.Exec("PRAGMA optimize"); err != nil && !db.readOnly {
			errs = append(errs, fmt.Errorf("close database: optimize: %w", classify(err)))
		}
		errs = append(errs, db.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close database %s: %w", db.path, err)
	}
	return nil
}

// Ping reports whether the database answers a query and is not in a
// local fault (see Fault), for /healthz: a store that answers reads but
// cannot write, or that found itself damaged, is not healthy.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.Fault(); err != nil {
		return err
	}
	var one int
	if err := db.c.QueryRowContext(ctx, "SELECT 1 FROM meta WHERE id = 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", db.faults.note(err))
	}
	return nil
}

// Generation is the content generation: it changes when articles, tags,
// related lists or the configured sources may have changed — by a write
// through this DB or, as Watch or the next write notices, another
// process's. Fetch-state writes (a 304, a failure) leave it alone, so the
// web cache of every feed survives them. Reading it is one atomic load.
func (db *DB) Generation() uint64 { return db.gen.Load() }

// StateGeneration changes after every committed write, fetch state
// included (and on other processes' writes, as for Generation); pages that
// show fetch state (/sources) key on it.
func (db *DB) StateGeneration() uint64 { return db.sgen.Load() }

// Watch polls the database every interval for writes made by other processes
// (`feedloom fetch` while `serve` runs) and bumps the generations when it
// sees one. It returns when ctx ends.
func (db *DB) Watch(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 2 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = db.poll(ctx) // a failed poll is retried on the next tick
		}
	}
}

// poll reads the stored counters once and bumps the generations for what
// another process wrote since this one last knew them. The counters only
// grow, so a value at or below the known one is old news — this process's
// own writes included, which raise the known values as they commit.
func (db *DB) poll(ctx context.Context) error {
	var g, cg int64
	if err := db.r.QueryRowContext(ctx, "SELECT generation, content_generation FROM meta WHERE id = 1").
		Scan(&g, &cg); err != nil {
		return fmt.Errorf("read generation: %w", err)
	}
	db.meta.mu.Lock()
	state, content := g > db.meta.gen, cg > db.meta.content
	db.meta.gen, db.meta.content = max(db.meta.gen, g), max(db.meta.content, cg)
	db.meta.mu.Unlock()
	db.bump(state || content, content)
	return nil
}

func (db *DB) bump(state, content bool) {
	if state {
		db.sgen.Add(1)
	}
	if content {
		db.gen.Add(1)
	}
}

// writeTx runs fn in one write transaction, which also bumps the stored
// counters (meta.generation always, meta.content_generation when fn reports
// a content change) for other processes' Watch. After commit it bumps
// StateGeneration, and Generation for a content change. The counters' old
// values are compared with the last ones this process knew: a gap is
// another process's unseen write, which bumps the generations too.
//
// Write transactions queue for the one write connection anyway; wmu makes
// each one's bookkeeping finish before the next begins, so two writes of
// this process never take each other for another process's.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) (content bool, err error)) error {
	_, err := db.writeTxSeq(ctx, fn)
	return err
}

// writeTxSeq is writeTx returning the write's sequence number (the
// generation it committed; see WriteSeq).
func (db *DB) writeTxSeq(ctx context.Context, fn func(tx *sql.Tx) (content bool, err error)) (int64, error) {
	db.wmu.Lock()
	defer db.wmu.Unlock()
	var content bool
	var g, cg int64
	err := db.rawTx(ctx, func(tx *sql.Tx) error {
		var err error
		if content, err = fn(tx); err != nil {
			return err
		}
		inc := 0
		if content {
			inc = 1
		}
		if err := tx.StmtContext(ctx, db.st.bump).QueryRowContext(ctx, inc).Scan(&g, &cg); err != nil {
			return fmt.Errorf("bump generation: %w", err)
		}
		db.known.noteGeneration(g)
		return nil
	})
	if err != nil {
		return 0, err
	}
	prevContent := cg
	if content {
		prevContent--
	}
	db.meta.mu.Lock()
	// An unseen state-only write needs no bump of its own: this write's
	// bump of StateGeneration covers it.
	externalContent := prevContent > db.meta.content
	db.meta.gen, db.meta.content = max(db.meta.gen, g), max(db.meta.content, cg)
	db.meta.mu.Unlock()
	db.bump(true, content || externalContent)
	return g, nil
}

// WriteSeq is the sequence number of the newest write this process
// committed or saw: every write transaction, of any process, commits the
// next one (meta.generation), so comparing two orders their commits.
func (db *DB) WriteSeq() int64 {
	db.meta.mu.Lock()
	defer db.meta.mu.Unlock()
	return db.meta.gen
}

// rawTx runs fn in one immediate write transaction. A local fault (disk
// full, read-only, I/O, corruption) comes back classified (ErrDiskFull …)
// and is remembered for Fault until a write commits.
func (db *DB) rawTx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	defer func() {
		if err != nil {
			err = db.faults.note(err)
		} else {
			db.faults.wrote()
		}
	}()
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
	return db.readTxOn(ctx, db.r, fn)
}

// readTxOn is readTx on the given pool (db.r or the control pool db.c).
func (db *DB) readTxOn(ctx context.Context, pool *sql.DB, fn func(tx *sql.Tx) error) (err error) {
	defer func() { err = db.faults.note(err) }()
	tx, err := pool.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
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
