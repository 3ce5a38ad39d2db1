package storage

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/feedloom/feedloom/feeds"
)

// Archived feeds (RFC 5005). A feed's archive pages are ranges of article
// ids. The id is the insertion sequence (AUTOINCREMENT: it only grows and
// is never reused), so a new article always lands after every sealed page,
// whatever its publication date says: dates arrive out of order (a late
// fetch, a feed that backdates its items), ids do not. A page's bounds are
// written to archive_pages once it fills, so they neither move on a restart
// nor shift when retention deletes older articles, as bounds counted from
// the oldest article would. Each query walks an index range (the primary
// key, or a tag's postings), never an OFFSET.

// archiveKey is the key of a feed's pages: its path, and its filter in a
// canonical form (sorted lists; the limit of its current document does not
// matter). An output whose definition changes starts a new chain rather
// than reading pages sealed under another filter.
func archiveKey(path string, f feeds.Filter) (string, error) {
	canon := struct {
		Any, All, None, Sources []string `json:",omitempty"`
	}{sortedCopy(f.TagsAny), sortedCopy(f.TagsAll), sortedCopy(f.TagsNone), sortedCopy(f.Sources)}
	b, err := json.Marshal(canon)
	if err != nil {
		return "", fmt.Errorf("archive key: %w", err)
	}
	if string(b) == "{}" {
		return path, nil
	}
	return path + " " + string(b), nil
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return slices.Compact(s)
}

// Archive seals the pages of a feed that have filled since it was last
// asked (size articles each) and returns the archive's shape. path is the
// feed's document path ("feeds/all", "tags/TAG"); f selects its articles
// as Articles does. Sealing writes only when a page filled, and as a
// state write: Generation stays (the documents that show the new shape
// were already invalidated by the articles that filled the page).
func (db *DB) Archive(ctx context.Context, path string, f feeds.Filter, size int) (feeds.ArchiveIndex, error) {
	x, _, err := db.ArchivePage(ctx, path, f, size, 0)
	return x, err
}

// ArchivePage is Archive, and the articles of page n (1 = the oldest) with
// Tags and Sources, newest (highest id) first; nil when n is not a page
// (0 asks for none). The shape and the page come from one snapshot.
func (db *DB) ArchivePage(ctx context.Context, path string, f feeds.Filter, size, n int) (feeds.ArchiveIndex, []feeds.Article, error) {
	if size <= 0 {
		return feeds.ArchiveIndex{}, nil, fmt.Errorf("archive %s: page size %d", path, size)
	}
	key, err := archiveKey(path, f)
	if err != nil {
		return feeds.ArchiveIndex{}, nil, err
	}
	var x feeds.ArchiveIndex
	var arts []feeds.Article
	read := func() error {
		return db.readTx(ctx, func(tx *sql.Tx) error {
			m, err := newArchiveMatch(ctx, tx, f)
			if err != nil {
				return err
			}
			if x, err = archiveIndex(ctx, tx, key, m, size); err != nil {
				return err
			}
			arts, err = archivePageArticles(ctx, tx, key, m, x, size, n)
			return err
		})
	}
	if err := read(); err != nil {
		return feeds.ArchiveIndex{}, nil, fmt.Errorf("archive %s: %w", path, err)
	}
	if x.Open < size {
		return x, arts, nil
	}
	// A page filled: seal it (and any others), then read again. While the
	// store cannot write (disk full, read-only: recorded for /healthz), the
	// feeds keep being served: the open page shows the first size articles,
	// the very ones it will be sealed with.
	err = db.writeTx(ctx, func(tx *sql.Tx) (bool, error) {
		return false, sealArchive(ctx, tx, key, f, size)
	})
	if errors.Is(err, feeds.ErrStoreFault) && !errors.Is(err, ErrCorrupt) {
		return x, arts, nil
	}
	if err != nil {
		return feeds.ArchiveIndex{}, nil, fmt.Errorf("seal archive %s: %w", path, err)
	}
	if err := read(); err != nil {
		return feeds.ArchiveIndex{}, nil, fmt.Errorf("archive %s: %w", path, err)
	}
	return x, arts, nil
}

// lastSealed is the number and last id of a feed's newest sealed page
// (0, 0 when none is).
func lastSealed(ctx context.Context, tx *sql.Tx, key string) (page int, lastID int64, err error) {
	err = tx.QueryRowContext(ctx, `SELECT page, last_id FROM archive_pages WHERE feed = ?
		ORDER BY page DESC LIMIT 1`, key).Scan(&page, &lastID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	return page, lastID, err
}

// archiveIndex reads a feed's shape: its sealed pages, the articles of its
// open page (counted up to size), and its oldest page still holding one.
func archiveIndex(ctx context.Context, tx *sql.Tx, key string, m archiveMatch, size int) (feeds.ArchiveIndex, error) {
	sealed, lastID, err := lastSealed(ctx, tx, key)
	if err != nil {
		return feeds.ArchiveIndex{}, err
	}
	x := feeds.ArchiveIndex{Sealed: sealed, Oldest: sealed + 1}
	open, err := m.ids(ctx, tx, lastID, math.MaxInt64, size)
	if err != nil {
		return feeds.ArchiveIndex{}, err
	}
	x.Open = len(open)
	first, err := m.first(ctx, tx, lastID)
	if err != nil || first == 0 {
		return x, err
	}
	err = tx.QueryRowContext(ctx, `SELECT page FROM archive_pages WHERE feed = ? AND last_id >= ?
		ORDER BY last_id LIMIT 1`, key, first).Scan(&x.Oldest)
	return x, err
}

// archivePageArticles loads page n of a feed whose shape is x, or nil when
// n is no page of it. The open page shows its first size articles only: a
// page filled since the shape was read is sealed with exactly those.
func archivePageArticles(ctx context.Context, tx *sql.Tx, key string, m archiveMatch, x feeds.ArchiveIndex, size, n int) ([]feeds.Article, error) {
	if n < 1 || n > x.Newest() {
		return nil, nil
	}
	// lo exclusive, hi inclusive. A sealed page shows all it holds (an
	// old article re-tagged into it is not dropped from the chain).
	var lo, hi int64 = 0, math.MaxInt64
	limit := size
	if n <= x.Sealed {
		limit = -1
		if err := tx.QueryRowContext(ctx, `SELECT first_id - 1, last_id FROM archive_pages WHERE feed = ? AND page = ?`,
			key, n).Scan(&lo, &hi); err != nil {
			return nil, err
		}
	} else if _, last, err := lastSealed(ctx, tx, key); err != nil {
		return nil, err
	} else {
		lo = last
	}
	arts, err := m.articles(ctx, tx, lo, hi, limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(arts)
	return arts, fillTagsSources(ctx, tx, arts)
}

// sealArchive writes the bounds of every page of a feed that has filled
// since its last sealed page: one pass over the matching ids after it.
func sealArchive(ctx context.Context, tx *sql.Tx, key string, f feeds.Filter, size int) error {
	m, err := newArchiveMatch(ctx, tx, f)
	if err != nil {
		return err
	}
	page, lastID, err := lastSealed(ctx, tx, key)
	if err != nil {
		return err
	}
	ids, err := m.ids(ctx, tx, lastID, math.MaxInt64, -1)
	if err != nil {
		return err
	}
	for len(ids) >= size {
		page++
		end := ids[size-1]
		if _, err := tx.ExecContext(ctx, `INSERT INTO archive_pages (feed, page, first_id, last_id) VALUES (?, ?, ?, ?)`,
			key, page, lastID+1, end); err != nil {
			return err
		}
		lastID, ids = end, ids[size:]
	}
	return nil
}

// archiveMatch is a feed's filter as SQL over an id range, driven by the
// cheapest index: the postings of its rarest TagsAll tag, else those of
// its TagsAny tags, else the articles' primary key. Its semantics are
// Articles': unknown TagsAny or TagsAll tags (or Sources) match nothing,
// unknown TagsNone are ignored.
type archiveMatch struct {
	none     bool   // matches nothing
	col      string // the id column the range and order apply to
	from     string // with two ? for the range (lo exclusive, hi inclusive) when ranged is set
	fromArgs []any  // bound before the range
	ranged   bool   // the range sits inside from (a postings subquery)
	where    []string
	args     []any
	anyIDs   []int64 // the TagsAny tags when they drive (see first)
}

// tagDriver walks one tag's postings in id order: ? is the tag id, then
// the range.
const tagDriver = `article_tags p CROSS JOIN articles a ON a.id = p.article_id AND p.tag_id = ? AND p.article_id > ? AND p.article_id <= ?`

// newArchiveMatch builds f's match from the tag and source ids it names.
func newArchiveMatch(ctx context.Context, tx *sql.Tx, f feeds.Filter) (archiveMatch, error) {
	stats, err := tagStats(ctx, tx, f.TagsAny, f.TagsAll, f.TagsNone)
	if err != nil {
		return archiveMatch{}, err
	}
	m := archiveMatch{col: "a.id", from: "articles a"}
	anyIDs := tagIDs(stats, f.TagsAny)
	if len(f.TagsAny) > 0 && len(anyIDs) == 0 {
		return archiveMatch{none: true}, nil
	}
	all := sortedCopy(f.TagsAll)
	allIDs := tagIDs(stats, all)
	if len(allIDs) < len(all) {
		return archiveMatch{none: true}, nil
	}
	switch {
	case len(allIDs) > 0:
		rarest := 0
		for i, t := range all {
			if stats[t].uses < stats[all[rarest]].uses {
				rarest = i
			}
		}
		m.col, m.ranged, m.from = "p.article_id", true, tagDriver
		m.fromArgs = []any{allIDs[rarest]}
		allIDs = slices.Delete(allIDs, rarest, rarest+1)
		if len(anyIDs) > 0 {
			m.exists(`t.tag_id IN (`+placeholders(len(anyIDs))+`)`, int64Args(anyIDs)...)
		}
	case len(anyIDs) > 0:
		m.col, m.ranged = "p.article_id", true
		m.from = `(SELECT DISTINCT article_id FROM article_tags WHERE tag_id IN (` + placeholders(len(anyIDs)) +
			`) AND article_id > ? AND article_id <= ?) p CROSS JOIN articles a ON a.id = p.article_id`
		m.fromArgs, m.anyIDs = int64Args(anyIDs), anyIDs
	}
	for _, id := range allIDs {
		m.exists(`t.tag_id = ?`, id)
	}
	if noneIDs := tagIDs(stats, f.TagsNone); len(noneIDs) > 0 {
		m.where = append(m.where, `NOT EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag_id IN (`+
			placeholders(len(noneIDs))+`))`)
		m.args = append(m.args, int64Args(noneIDs)...)
	}
	if len(f.Sources) > 0 {
		srcs, err := sourceIDs(ctx, tx, f.Sources)
		if err != nil {
			return archiveMatch{}, err
		}
		if len(srcs) == 0 {
			return archiveMatch{none: true}, nil
		}
		m.where = append(m.where, `EXISTS (SELECT 1 FROM carriages c WHERE c.article_id = a.id AND c.source_id IN (`+
			placeholders(len(srcs))+`))`)
		m.args = append(m.args, int64Args(srcs)...)
	}
	return m, nil
}

// tagIDs are the ids of the named tags that exist, in the order of names.
func tagIDs(stats map[string]tagStat, names []string) []int64 {
	var ids []int64
	for _, n := range names {
		if s, ok := stats[n]; ok {
			ids = append(ids, s.id)
		}
	}
	return ids
}

// exists adds a condition on the article's tags.
func (m *archiveMatch) exists(cond string, args ...any) {
	m.where = append(m.where, `EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND `+cond+`)`)
	m.args = append(m.args, args...)
}

// query is the SQL selecting cols of the matches with lo < id <= hi, in
// id order, at most limit of them (-1: all).
func (m archiveMatch) query(cols string, lo, hi int64, limit int) (string, []any) {
	args := append(slices.Clone(m.fromArgs), lo, hi)
	where := m.where
	if !m.ranged {
		where = append([]string{m.col + ` > ? AND ` + m.col + ` <= ?`}, where...)
	}
	q := `SELECT ` + cols + ` FROM ` + m.from
	for i, w := range where {
		if i == 0 {
			q += ` WHERE ` + w
		} else {
			q += ` AND ` + w
		}
	}
	args = append(append(args, m.args...), limit)
	return q + ` ORDER BY ` + m.col + ` LIMIT ?`, args
}

// first is the lowest matching id up to hi, 0 when none. With TagsAny
// driving, each tag's postings are walked in order to their first match
// (the distinct union would sort every posting up to hi).
func (m archiveMatch) first(ctx context.Context, tx *sql.Tx, hi int64) (int64, error) {
	if len(m.anyIDs) == 0 {
		ids, err := m.ids(ctx, tx, 0, hi, 1)
		if err != nil || len(ids) == 0 {
			return 0, err
		}
		return ids[0], nil
	}
	var best int64
	for _, tag := range m.anyIDs {
		one := m
		one.from, one.fromArgs, one.anyIDs = tagDriver, []any{tag}, nil
		id, err := one.first(ctx, tx, hi)
		if err != nil {
			return 0, err
		}
		if id > 0 && (best == 0 || id < best) {
			best = id
		}
	}
	return best, nil
}

// ids are the ids of the matches with lo < id <= hi, ascending.
func (m archiveMatch) ids(ctx context.Context, tx *sql.Tx, lo, hi int64, limit int) (_ []int64, err error) {
	if m.none {
		return nil, nil
	}
	q, args := m.query(m.col, lo, hi, limit)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows, &err)
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

// articles are the matches with lo < id <= hi, ascending, without Tags
// and Sources.
func (m archiveMatch) articles(ctx context.Context, tx *sql.Tx, lo, hi int64, limit int) (_ []feeds.Article, err error) {
	if m.none {
		return nil, nil
	}
	q, args := m.query(articleCols, lo, hi, limit)
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows, &err)
	var out []feeds.Article
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
