package storage

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/feedloom/feedloom/feeds"
)

// The local faults SQLite reports, as sentinels callers branch on with
// errors.Is. Each also matches feeds.ErrStoreFault, so packages that may not
// import storage (the scheduler) can tell a full disk from a bad feed.
var (
	ErrDiskFull = &fault{"disk full"} // SQLITE_FULL: no space for the file, its WAL or a temporary file
	ErrReadOnly = &fault{"read-only"} // SQLITE_READONLY: the file, its directory or the file system cannot be written
	ErrIO       = &fault{"I/O error"} // SQLITE_IOERR: the operating system failed a read or write
	ErrCorrupt  = &fault{"malformed"} // SQLITE_CORRUPT, SQLITE_NOTADB: the file is damaged
)

// fault is one kind of local store failure.
type fault struct{ kind string }

func (f *fault) Error() string { return "database " + f.kind }

// Is makes every fault a feeds.ErrStoreFault.
func (f *fault) Is(target error) bool { return target == feeds.ErrStoreFault }

// faultError is a SQLite error classified as a local fault: its message
// leads with the kind ("read-only: attempt to write a readonly database").
type faultError struct {
	fault *fault
	err   error
}

func (e *faultError) Error() string   { return e.fault.kind + ": " + e.err.Error() }
func (e *faultError) Unwrap() []error { return []error{e.fault, e.err} }

// faultOf is the local fault a SQLite result code stands for, or nil. It
// reads the code, never the message.
func faultOf(err error) *fault {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return nil
	}
	switch se.Code() & 0xff { // the primary code of an extended one
	case sqlite3.SQLITE_FULL:
		return ErrDiskFull
	case sqlite3.SQLITE_READONLY:
		return ErrReadOnly
	case sqlite3.SQLITE_IOERR:
		return ErrIO
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return ErrCorrupt
	}
	return nil
}

// classify wraps err in its local fault when it is one (once).
func classify(err error) error {
	if err == nil {
		return nil
	}
	var fe *faultError
	if errors.As(err, &fe) {
		return err
	}
	if f := faultOf(err); f != nil {
		return &faultError{fault: f, err: err}
	}
	return err
}

// faultState is the local fault the store is in, since when.
type faultState struct {
	err   *faultError
	since time.Time
}

// faults remembers the store's current local fault for Ping (/healthz)
// and Fault (the metric). A write fault (full, read-only, I/O) lasts until
// a write commits again; corruption lasts until the process restarts.
type faults struct{ cur atomic.Pointer[faultState] }

// note classifies err and remembers it when it is a local fault.
func (fl *faults) note(err error) error {
	err = classify(err)
	var fe *faultError
	if errors.As(err, &fe) {
		if cur := fl.cur.Load(); cur == nil || cur.err.fault != ErrCorrupt {
			fl.cur.Store(&faultState{err: fe, since: time.Now()})
		}
	}
	return err
}

// wrote clears a write fault: the store took a write.
func (fl *faults) wrote() {
	if cur := fl.cur.Load(); cur != nil && cur.err.fault != ErrCorrupt {
		fl.cur.CompareAndSwap(cur, nil)
	}
}

// Fault is the local store failure the database is in (ErrDiskFull,
// ErrReadOnly, ErrIO or ErrCorrupt match it with errors.Is), or nil: the
// last write failed for want of space, permission or the disk, and none
// has succeeded since; or a query or the start-up check found the file
// damaged. Ping reports it, so /healthz answers 503 with the reason.
func (db *DB) Fault() error {
	cur := db.faults.cur.Load()
	if cur == nil {
		return nil
	}
	return fmt.Errorf("%w (since %s)", cur.err, cur.since.UTC().Format(time.DateTime+" UTC"))
}
