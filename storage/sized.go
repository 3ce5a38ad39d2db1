package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"
)

// A batch's statements have lists that vary with the batch: IN (...) lists
// of its item keys, links and titles, and multi-row INSERTs of its
// carriages and tags. Built as text per feed, each was compiled by SQLite
// per feed too, which cost about as much as running it. A sized statement
// is compiled once per size class instead, when the store opens: IN lists
// are padded up to the next class (a repeated value changes nothing in an
// IN list), and rows to insert are split into parts whose sizes are
// classes (no padding: a repeated row would be inserted twice).
type sized struct {
	min, max int         // smallest and largest class, in list items (powers of two)
	class    []*sql.Stmt // class i holds min<<i items
}

// prepareSized compiles text(n) on db for every class n from min to max.
func prepareSized(ctx context.Context, db *sql.DB, min, max int, text func(n int) string) (*sized, error) {
	s := &sized{min: min, max: max}
	for n := min; n <= max; n *= 2 {
		st, err := db.PrepareContext(ctx, text(n))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare %q: %w", firstLine(text(n)), err), s.close())
		}
		s.class = append(s.class, st)
	}
	return s, nil
}

func (s *sized) close() error {
	var errs []error
	for _, st := range s.class {
		errs = append(errs, st.Close())
	}
	return errors.Join(errs...)
}

// fitting returns the class that holds n items (n <= s.max), and its size.
func (s *sized) fitting(n int) (*sql.Stmt, int) {
	i := 0
	if n > s.min {
		i = bits.Len(uint(n-1)) - bits.Len(uint(s.min-1))
	}
	return s.class[i], s.min << i
}

// within returns the largest class of at most n items (n >= s.min), and its size.
func (s *sized) within(n int) (*sql.Stmt, int) {
	i := bits.Len(uint(min(n, s.max))) - bits.Len(uint(s.min))
	return s.class[i], s.min << i
}

// query runs the IN-list statement over list in parts of at most s.max
// values, each padded to its class by repeating its last value; fixed are
// the arguments before the list.
func (s *sized) query(ctx context.Context, tx *sql.Tx, fixed, list []any, fn func(*sql.Rows) error) error {
	args := make([]any, 0, len(fixed)+min(len(list), s.max))
	for len(list) > 0 {
		n := min(len(list), s.max)
		st, size := s.fitting(n)
		args = append(append(args[:0], fixed...), list[:n]...)
		for len(args) < len(fixed)+size {
			args = append(args, list[n-1])
		}
		if err := eachOf(tx.StmtContext(ctx, st).QueryContext(ctx, args...))(fn); err != nil {
			return err
		}
		list = list[n:]
	}
	return nil
}

// exec runs the multi-row statement over rows (cols values a row) in parts
// whose sizes are classes.
func (s *sized) exec(ctx context.Context, tx *sql.Tx, rows []any, cols int) error {
	_, err := s.execCount(ctx, tx, rows, cols)
	return err
}

// execCount is exec, returning the number of rows the statements changed.
func (s *sized) execCount(ctx context.Context, tx *sql.Tx, rows []any, cols int) (int64, error) {
	var changed int64
	for len(rows) > 0 {
		st, size := s.within(len(rows) / cols)
		r, err := tx.StmtContext(ctx, st).ExecContext(ctx, rows[:size*cols]...)
		if err != nil {
			return changed, err
		}
		n, err := r.RowsAffected()
		if err != nil {
			return changed, err
		}
		changed += n
		rows = rows[size*cols:]
	}
	return changed, nil
}

// eachOf returns a function that calls fn for each of rows and closes them.
func eachOf(rows *sql.Rows, err error) func(fn func(*sql.Rows) error) error {
	return func(fn func(*sql.Rows) error) (ferr error) {
		if err != nil {
			return err
		}
		defer closeRows(rows, &ferr)
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return nil
	}
}

// inList returns query with an IN list of n placeholders appended.
func inList(query string) func(n int) string {
	return func(n int) string { return query + "(" + placeholders(n) + ")" }
}

// valuesRows returns an INSERT of n rows of cols placeholders each.
func valuesRows(insert string, cols int) func(n int) string {
	row := "(" + placeholders(cols) + "),"
	return func(n int) string { return insert + " VALUES " + strings.TrimSuffix(strings.Repeat(row, n), ",") }
}
