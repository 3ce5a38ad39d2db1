package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockDatabase takes an exclusive lock (flock) on FILE.lock beside the
// database, held while `serve` runs, so that a second daemon on the same
// SQLite file is refused instead of both scheduling every source and
// fighting for the writer. The kernel releases the lock when the process
// exits, crash and kill -9 included; the file itself stays (removing it
// would let two processes lock two different files of one name).
// `feedloom fetch` and the other commands do not take it: one pass beside
// the daemon is supported.
func lockDatabase(dbPath string) (unlock func() error, err error) {
	path := dbPath + ".lock"
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock database: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid := strings.TrimSpace(string(b)); pid != "" {
				holder = " (pid " + pid + ")"
			}
		}
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("database %s is already served by another feedloom%s holding %s: "+
				"one serve per database file (several nodes need the planned PostgreSQL backend)", dbPath, holder, path)
		}
		return nil, fmt.Errorf("lock database %s: %w", path, err)
	}
	// The holder's pid, for the message above; a failure here costs only that.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f.Close, nil
}
