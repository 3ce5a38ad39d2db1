package storage

import "fmt"

// Poll is Watch's one poll, for tests that must not wait on a ticker.
var Poll = (*DB).poll

// SetMaxPageCount caps the writer's database size in pages, so that a
// test can fill the "disk" (SQLite then fails writes with SQLITE_FULL).
func SetMaxPageCount(db *DB, n int) error {
	_, err := db.w.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", n))
	return err
}
