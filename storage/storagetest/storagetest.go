// Package storagetest holds checks that tests of several packages run on
// the stores they leave behind.
package storagetest

import (
	"database/sql"
	"testing"

	_ "modernc.org/sqlite" // the driver storage uses
)

// CheckForeignKeys fails the test when any row of the store at path refers
// to a row that does not exist. Ingest writes with SQLite's foreign key
// enforcement off (storage's writerPragmas) and must keep its references
// sound itself; every test that ingests checks that it did.
func CheckForeignKeys(t testing.TB, path string) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		t.Fatalf("open %s for foreign_key_check: %v", path, err)
	}
	defer conn.Close()
	rows, err := conn.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64 // NULL for WITHOUT ROWID tables
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatalf("foreign_key_check: %v", err)
		}
		t.Errorf("foreign key violation: a row of %s (rowid %v) refers to a missing row of %s", table, rowid, parent)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
}
