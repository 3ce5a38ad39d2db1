package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// defaultPruneBatch is the batch size Prune uses when given 0.
const defaultPruneBatch = 500

// maxPruneBatch keeps one batch's statements under SQLite's bound-variable limit
// and its transaction short.
const maxPruneBatch = 5000

// vacuumStep is how many free pages one incremental_vacuum call gives back;
// each call is its own short write so ingest never waits long.
const vacuumStep = 2048

// Prune applies retention and returns the ids it deleted (ascending). An
// article is deleted when
//   - maxAge > 0 and it was published before now-maxAge, or
//   - maxPerSource > 0 and it is outside the newest maxPerSource articles
//     (published desc, id desc) of EVERY source that carries it — a story one
//     source still keeps stays.
//
// Deletion runs in batches of batch ids (0: 500; at most 5000), each its own short
// transaction, and takes with it the deleted articles' carriages, tags,
// titles, links, aliases and related lists (deleteArticles); an entry in another list that points at a deleted article
// is skipped when read, and the scheduler rewrites such lists (Retain). Afterwards free pages are given back with incremental_vacuum.
// Candidates are chosen from one snapshot; an article that a source picks
// up again between the choice and its batch is still deleted.
func (db *DB) Prune(ctx context.Context, maxAge time.Duration, maxPerSource int, now time.Time, batch int) ([]int64, error) {
	if batch <= 0 {
		batch = defaultPruneBatch
	}
	batch = min(batch, maxPruneBatch)
	var victims []int64
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		set := make(map[int64]bool)
		if maxAge > 0 {
			if err := collect(ctx, tx, set, `SELECT id FROM articles WHERE published < ?`, ms(now.Add(-maxAge))); err != nil {
				return fmt.Errorf("by age: %w", err)
			}
		}
		if maxPerSource > 0 {
			if err := overCap(ctx, tx, set, maxPerSource); err != nil {
				return fmt.Errorf("by count: %w", err)
			}
		}
		for id := range set {
			victims = append(victims, id)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("select old articles: %w", err)
	}
	slices.Sort(victims)
	var deleted []int64
	for len(victims) > 0 {
		n := min(batch, len(victims))
		part := victims[:n]
		victims = victims[n:]
		err := db.writeTx(ctx, func(tx *sql.Tx) (bool, error) {
			var got []int64
			err := chunks(part, func(p []int64) error {
				ids, err := deleteArticles(ctx, tx, p)
				got = append(got, ids...)
				return err
			})
			if err != nil {
				return false, fmt.Errorf("delete: %w", err)
			}
			deleted = append(deleted, got...)
			return len(got) > 0, nil
		})
		if err != nil {
			slices.Sort(deleted)
			return deleted, fmt.Errorf("delete old articles: %w", err)
		}
	}
	slices.Sort(deleted)
	if len(deleted) > 0 {
		if err := db.vacuum(ctx); err != nil {
			return deleted, fmt.Errorf("give space back: %w", err)
		}
	}
	return deleted, nil
}

// collect adds the ids a query returns to set.
func collect(ctx context.Context, tx *sql.Tx, set map[int64]bool, query string, args ...any) (err error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		set[id] = true
	}
	return nil
}

// overCap adds to set the articles outside the newest capN of every source
// that carries them.
func overCap(ctx context.Context, tx *sql.Tx, set map[int64]bool, capN int) error {
	var srcs []int64
	err := func() (err error) {
		rows, err := tx.QueryContext(ctx, `SELECT s.id FROM sources s WHERE s.carriage_count > ?`, capN)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			srcs = append(srcs, id)
		}
		return nil
	}()
	if err != nil {
		return err
	}
	beyond := make(map[int64]int) // article -> sources whose cap it is outside of
	for _, s := range srcs {
		part := make(map[int64]bool)
		if err := collect(ctx, tx, part, `SELECT article_id FROM carriages WHERE source_id = ?
			ORDER BY published DESC, article_id DESC LIMIT -1 OFFSET ?`, s, capN); err != nil {
			return err
		}
		for id := range part {
			beyond[id]++
		}
	}
	ids := make([]int64, 0, len(beyond))
	for id := range beyond {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return chunks(ids, func(part []int64) (err error) {
		rows, err := tx.QueryContext(ctx, `SELECT article_id, count(DISTINCT source_id) FROM carriages
			WHERE article_id IN (`+placeholders(len(part))+`) GROUP BY article_id`, int64Args(part)...)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			var id int64
			var carriers int
			if err := rows.Scan(&id, &carriers); err != nil {
				return err
			}
			if beyond[id] >= carriers {
				set[id] = true
			}
		}
		return nil
	})
}

// vacuum gives free pages back to the file system in short steps, when the
// database was created with auto_vacuum=INCREMENTAL.
func (db *DB) vacuum(ctx context.Context) error {
	var mode int
	if err := db.w.QueryRowContext(ctx, `PRAGMA auto_vacuum`).Scan(&mode); err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	if mode != 2 {
		return nil
	}
	for {
		var free int64
		if err := db.w.QueryRowContext(ctx, `PRAGMA freelist_count`).Scan(&free); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		if free == 0 {
			return nil
		}
		if _, err := db.w.ExecContext(ctx, fmt.Sprintf(`PRAGMA incremental_vacuum(%d)`, vacuumStep)); err != nil {
			return fmt.Errorf("vacuum: %w", err)
		}
		if free <= vacuumStep {
			return nil
		}
	}
}

// Stats counts what the store holds, as `feedloom stats` prints it.
// related_lists counts the articles whose list is computed (possibly empty);
// db_bytes is the main file's pages plus the WAL file.
func (db *DB) Stats(ctx context.Context) (feeds.Stats, error) {
	var s feeds.Stats
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var pages, pageSize int64
		for _, q := range []struct {
			query string
			dst   []any
		}{
			{`SELECT count(*), coalesce(sum(failures > 0 OR gone), 0) FROM sources WHERE active = 1`,
				[]any{&s.Sources, &s.SourcesFailing}},
			{`SELECT count(*) FROM articles INDEXED BY articles_published`, []any{&s.Articles}},
			{`SELECT count(*) FROM carriages`, []any{&s.Carriages}},
			{`SELECT count(*) FROM tags WHERE uses > 0`, []any{&s.Tags}},
			{`SELECT count(*) FROM related_lists`, []any{&s.RelatedLists}},
			{`PRAGMA page_count`, []any{&pages}},
			{`PRAGMA page_size`, []any{&pageSize}},
		} {
			if err := tx.QueryRowContext(ctx, q.query).Scan(q.dst...); err != nil {
				return fmt.Errorf("%s: %w", firstLine(q.query), err)
			}
		}
		s.DBBytes = pages * pageSize
		return nil
	})
	if err != nil {
		return feeds.Stats{}, fmt.Errorf("count: %w", err)
	}
	if fi, err := os.Stat(db.path + "-wal"); err == nil {
		s.DBBytes += fi.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return feeds.Stats{}, fmt.Errorf("size of the WAL: %w", err)
	}
	return s, nil
}

// Backup writes a consistent copy of the database to path with VACUUM INTO,
// while other connections (and processes) keep writing. It refuses to
// overwrite an existing file: the error wraps fs.ErrExist.
func (db *DB) Backup(ctx context.Context, path string) (err error) {
	if path == "" {
		return errors.New("no backup file given")
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s: %w (refusing to overwrite)", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("check %s: %w", path, err)
	}
	// The read pool is query_only, which forbids VACUUM INTO; a one-off
	// connection reads one snapshot without holding up the writer.
	c, err := sql.Open("sqlite", db.dsn)
	if err != nil {
		return fmt.Errorf("open a snapshot connection: %w", err)
	}
	defer func() {
		if cerr := c.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close the snapshot connection: %w", cerr))
		}
	}()
	c.SetMaxOpenConns(1)
	if _, err := c.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// articleDependents are the tables whose rows refer to an article by their
// article_id column (ON DELETE CASCADE in the schema, which the writer does
// not enforce: see writerPragmas). TestArticleDependents holds the list to
// the schema.
var articleDependents = []string{"carriages", "article_tags", "article_titles", "article_links",
	"article_aliases", "related_lists", "article_terms"}

// deleteArticles deletes the articles ids (at most chunkSize of them) with
// every row that refers to them, as ON DELETE CASCADE would; article_tags'
// delete trigger counts the tags' uses down. It returns the ids that
// existed.
func deleteArticles(ctx context.Context, tx *sql.Tx, ids []int64) (deleted []int64, err error) {
	in := placeholders(len(ids))
	args := int64Args(ids)
	for _, table := range articleDependents {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE article_id IN (`+in+`)`, args...); err != nil {
			return nil, fmt.Errorf("delete from %s: %w", table, err)
		}
	}
	rows, err := tx.QueryContext(ctx, `DELETE FROM articles WHERE id IN (`+in+`) RETURNING id`, args...)
	if err != nil {
		return nil, fmt.Errorf("delete articles: %w", err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		deleted = append(deleted, id)
	}
	return deleted, nil
}
