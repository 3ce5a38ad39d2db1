package storage

import (
	"path/filepath"
	"slices"
	"testing"
)

// TestArticleDependents: deleteArticles deletes from every table that
// refers to articles, by the column it names, since the writer does not
// enforce foreign keys. A new table with a reference to articles fails
// here until it is in articleDependents.
func TestArticleDependents(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var enforced int
	if err := db.w.QueryRowContext(t.Context(), "PRAGMA foreign_keys").Scan(&enforced); err != nil {
		t.Fatal(err)
	}
	if enforced != 0 {
		t.Errorf("the writer enforces foreign keys; writerPragmas says it does not")
	}
	rows, err := db.w.QueryContext(t.Context(), `SELECT m.name, f."from" FROM sqlite_schema m, pragma_foreign_key_list(m.name) f
		WHERE m.type = 'table' AND f."table" = 'articles' ORDER BY m.name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			t.Fatal(err)
		}
		if column != "article_id" {
			t.Errorf("%s refers to articles by %s; deleteArticles deletes by article_id", table, column)
		}
		tables = append(tables, table)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(articleDependents))
	if !slices.Equal(tables, want) {
		t.Errorf("tables that refer to articles = %v, articleDependents = %v", tables, want)
	}
}
