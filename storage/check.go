package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
)

// OpenReadOnly opens an existing database for reading only (SQLite's
// mode=ro and query_only): no migration, no optimize, nothing written, so
// that `feedloom stats` and `feedloom check -db` work on a full disk and on
// a read-only file. Its write methods fail with ErrReadOnly; a schema
// older or newer than this feedloom's is refused.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file::memory:") {
		return nil, fmt.Errorf("open database %q: a file path is required", path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	dsn := "file:" + escapePath(path) + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	db := &DB{path: path, dsn: dsn, rconn: 2, readOnly: true}
	db.tags.ids = make(map[string]int64)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	r.SetMaxOpenConns(db.rconn)
	r.SetMaxIdleConns(db.rconn)
	db.r, db.c = r, r
	ms, err := loadMigrations()
	if err != nil {
		return nil, errors.Join(err, db.Close())
	}
	var v int
	if err := r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, classify(err)), db.Close())
	}
	if v != len(ms) {
		return nil, errors.Join(fmt.Errorf("open database %s: schema version %d, this feedloom's is %d (serve or fetch migrates it)",
			path, v, len(ms)), db.Close())
	}
	if db.state, err = r.PrepareContext(ctx, `SELECT `+stateCols+` FROM sources s WHERE s.name = ?`); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, classify(err)), db.Close())
	}
	// A writer on the same read-only file, so that a write says
	// "read-only" rather than taking the process down.
	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, err), db.Close())
	}
	w.SetMaxOpenConns(1)
	db.w = w
	if db.st, err = prepareStmts(ctx, w); err != nil {
		return nil, errors.Join(fmt.Errorf("open database %s: %w", path, classify(err)), db.Close())
	}
	return db, nil
}

// maxProblems is how many problems QuickCheck reports at most.
const maxProblems = 10

// QuickCheck runs SQLite's quick_check over the whole file (every page and
// row, not the indexes' contents against their tables: linear in the
// file's size, about a second per GB). It returns nil for a sound file and
// an error matching ErrCorrupt, naming the first problems, for a damaged
// one; Fault reports that from then on. ctx bounds the cost: a check cut
// short returns ctx's error, which says nothing about the file.
func (db *DB) QuickCheck(ctx context.Context) (err error) {
	rows, err := db.c.QueryContext(ctx, fmt.Sprintf("PRAGMA quick_check(%d)", maxProblems))
	if err != nil {
		return fmt.Errorf("check database %s: %w", db.path, db.faults.note(err))
	}
	var problems []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			_ = rows.Close()
			return fmt.Errorf("check database %s: %w", db.path, db.faults.note(err))
		}
		problems = append(problems, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("check database %s: %w", db.path, ctx.Err())
		}
		return fmt.Errorf("check database %s: %w", db.path, db.faults.note(err))
	}
	if len(problems) == 1 && problems[0] == "ok" {
		return nil
	}
	// One line: a problem row may itself hold several lines.
	msg := strings.Join(strings.FieldsFunc(strings.Join(problems, "\n"), func(r rune) bool { return r == '\n' }), "; ")
	fe := &faultError{fault: ErrCorrupt, err: errors.New(msg)}
	return fmt.Errorf("check database %s: %w", db.path, db.faults.note(fe))
}
