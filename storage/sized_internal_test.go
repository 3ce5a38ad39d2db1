package storage

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
)

func TestSizedClasses(t *testing.T) {
	s := &sized{min: 8, max: 64, class: make([]*sql.Stmt, 4)}
	for _, c := range []struct{ n, fitting int }{{1, 8}, {8, 8}, {9, 16}, {16, 16}, {17, 32}, {33, 64}, {64, 64}} {
		if _, got := s.fitting(c.n); got != c.fitting {
			t.Errorf("fitting(%d) = %d, want %d", c.n, got, c.fitting)
		}
	}
	r := &sized{min: 1, max: 8, class: make([]*sql.Stmt, 4)}
	for _, c := range []struct{ n, within int }{{1, 1}, {2, 2}, {3, 2}, {7, 4}, {8, 8}, {100, 8}} {
		if _, got := r.within(c.n); got != c.within {
			t.Errorf("within(%d) = %d, want %d", c.n, got, c.within)
		}
	}
}

// TestSizedStatements runs sized inserts and IN look-ups of every length
// from 0 to past two parts against a real file: every row inserted once,
// every look-up finding exactly its values.
func TestSizedStatements(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE t (grp INTEGER, v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	ins, err := prepareSized(ctx, db, 1, 8, valuesRows(`INSERT INTO t (grp, v)`, 2))
	if err != nil {
		t.Fatal(err)
	}
	defer ins.close()
	find, err := prepareSized(ctx, db, 4, 16, inList(`SELECT v FROM t WHERE grp = ? AND v IN `))
	if err != nil {
		t.Fatal(err)
	}
	defer find.close()
	for n := range 40 {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var rows, list []any
			for i := range n {
				rows = append(rows, n, i)
				list = append(list, i)
			}
			if err := ins.exec(ctx, tx, rows, 2); err != nil {
				t.Fatal(err)
			}
			var count int
			if err := tx.QueryRow(`SELECT count(*) FROM t WHERE grp = ?`, n).Scan(&count); err != nil {
				t.Fatal(err)
			}
			if count != n {
				t.Fatalf("inserted %d rows, want %d", count, n)
			}
			list = append(list, 1000) // a value with no row
			var got []int
			err = find.query(ctx, tx, []any{n}, list, func(r *sql.Rows) error {
				var v int
				err := r.Scan(&v)
				got = append(got, v)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			for i, v := range got {
				if v != i {
					t.Fatalf("found %v, want 0..%d once each", got, n-1)
				}
			}
			if len(got) != n {
				t.Fatalf("found %d rows, want %d", len(got), n)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
