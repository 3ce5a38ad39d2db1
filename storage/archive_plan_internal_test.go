package storage

import (
	"context"
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// TestArchiveQueriesSearch: every archive query, for every kind of filter,
// walks an index range (SEARCH) rather than scanning a table: pages stay
// cheap however large the store grows. (SCAN p is the postings subquery,
// itself a range search.)
func TestArchiveQueriesSearch(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "feedloom.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	if err := db.SyncSources(ctx, []feeds.Source{{Name: "a", URL: "https://a.example/"}}); err != nil {
		t.Fatal(err)
	}
	a := feeds.Article{ItemKey: "1", GUID: "1", Link: "https://a.example/1", LinkKey: "a.example/1",
		Title: "One", TitleKey: "one", Tags: []string{"x", "y"}}
	if _, err := db.Ingest(ctx, "a", feeds.SourceState{Name: "a"}, []feeds.Article{a}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []feeds.Filter{
		{},
		{TagsAll: []string{"x", "y"}},
		{TagsAny: []string{"x", "y"}, TagsNone: []string{"z"}},
		{TagsNone: []string{"x"}, Sources: []string{"a"}},
	} {
		err := db.readTx(ctx, func(tx *sql.Tx) error {
			m, err := newArchiveMatch(ctx, tx, f)
			if err != nil {
				return err
			}
			for _, cols := range []string{m.col, articleCols} {
				q, args := m.query(cols, 0, math.MaxInt64, 50)
				for _, line := range queryPlan(ctx, t, tx, q, args) {
					if strings.HasPrefix(line, "SCAN ") && line != "SCAN p" {
						t.Errorf("%+v: %s\n%s", f, line, q)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// queryPlan is the detail column of EXPLAIN QUERY PLAN.
func queryPlan(ctx context.Context, t *testing.T, tx *sql.Tx, q string, args []any) []string {
	t.Helper()
	rows, err := tx.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := rows.Close(); err != nil {
			t.Error(err)
		}
	}()
	var out []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
