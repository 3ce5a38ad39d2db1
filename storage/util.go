package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Times are stored as unix milliseconds, UTC; zero times as NULL where a
// column may be unknown.
func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return fromMS(v.Int64)
}

// chunkSize bounds the number of ? in one IN (...) list.
const chunkSize = 500

// placeholders returns "?,?,...,?" with n marks.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}

func int64Args(ids []int64) []any {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return args
}

// chunks calls fn with consecutive slices of ids of at most chunkSize.
func chunks(ids []int64, fn func(part []int64) error) error {
	for len(ids) > 0 {
		n := min(len(ids), chunkSize)
		if err := fn(ids[:n]); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// closeRows closes rows and reports the first of the iteration and close errors.
func closeRows(rows *sql.Rows, err *error) {
	cerr := rows.Close()
	if *err == nil {
		*err = rows.Err()
	}
	if *err == nil && cerr != nil {
		*err = cerr
	}
}

// tagCache maps tag names to ids so that Ingest does not query per tag. Tags
// are never deleted, so an id once committed stays valid; ids learned inside
// a transaction are merged only after it commits.
type tagCache struct {
	mu  sync.Mutex
	ids map[string]int64
}

func (c *tagCache) get(name string) (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.ids[name]
	return id, ok
}

func (c *tagCache) merge(m map[string]int64) {
	if len(m) == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range m {
		c.ids[k] = v
	}
}

// tagResolver resolves tag names to ids inside one write transaction,
// creating missing tags.
type tagResolver struct {
	ctx     context.Context
	cache   *tagCache
	sel     *sql.Stmt
	ins     *sql.Stmt
	pending map[string]int64
}

func (r *tagResolver) id(name string) (int64, error) {
	if id, ok := r.pending[name]; ok {
		return id, nil
	}
	if id, ok := r.cache.get(name); ok {
		return id, nil
	}
	var id int64
	err := r.sel.QueryRowContext(r.ctx, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = r.ins.QueryRowContext(r.ctx, name).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("tag %q: %w", name, err)
	}
	if r.pending == nil {
		r.pending = make(map[string]int64)
	}
	r.pending[name] = id
	return id, nil
}

// stmts are the write statements, prepared once on the single write
// connection; tx.StmtContext then reuses them without re-preparing.
type stmts struct {
	titleReused, insArticle, updArticle, clearRelated *sql.Stmt
	byHead, bodyOf                                    *sql.Stmt
	updCarriage, insArticleTag                        *sql.Stmt
	tagID, insTag, upsertState, articleTags, bump     *sql.Stmt
	setCategories, addArticles                        *sql.Stmt
	all                                               []*sql.Stmt

	// A batch's look-ups and multi-row inserts (see sized).
	byKey, byLink, byPastLink, byTitle, byPastTitle, tagsOf *sized
	insCarriages, insTags, insTerms, addUses, putLists      *sized
	allSized                                                []*sized
}

func prepareStmts(ctx context.Context, db *sql.DB) (*stmts, error) {
	s := &stmts{}
	list := []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.titleReused, `SELECT c.source_id, c.item_key, c.article_id FROM articles a
			JOIN carriages c ON c.article_id = a.id WHERE a.title_key = ?`},
		{&s.insArticle, `INSERT INTO articles (published, first_seen, updated, content_hash, guid, link,
			title_key, title, author, summary, content, categories, link_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&s.byHead, `SELECT id, content_hash, published, categories, title_key FROM articles
			WHERE title_key >= ?1 AND title_key < ?1 || x'f48fbfbf' LIMIT 64`},
		{&s.bodyOf, `SELECT substr(CASE WHEN summary != '' THEN summary ELSE content END, 1, 4096) FROM articles WHERE id = ?`},
		{&s.updArticle, `UPDATE articles SET updated = ?, content_hash = ?, title_key = ?, title = ?,
			author = ?, summary = ?, content = ? WHERE id = ?`},
		{&s.clearRelated, `DELETE FROM related_lists WHERE article_id = ?`},
		{&s.updCarriage, `UPDATE carriages SET content_hash = ? WHERE source_id = ? AND item_key = ?`},
		{&s.insArticleTag, `INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)`},
		{&s.tagID, `SELECT id FROM tags WHERE name = ?`},
		{&s.insTag, `INSERT INTO tags (name) VALUES (?) RETURNING id`},
		{&s.upsertState, upsertStateSQL},
		{&s.articleTags, `SELECT at.tag_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id WHERE at.article_id = ?`},
		{&s.setCategories, `UPDATE articles SET categories = ? WHERE id = ?`},
		{&s.addArticles, `UPDATE meta SET articles = articles + ? WHERE id = 1`},
		{&s.bump, `UPDATE meta SET generation = generation + 1, content_generation = content_generation + ?
			WHERE id = 1 RETURNING generation, content_generation`},
	}
	for _, p := range list {
		st, err := db.PrepareContext(ctx, p.query)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("prepare %q: %w", firstLine(p.query), err), s.close())
		}
		*p.dst = st
		s.all = append(s.all, st)
	}
	// IN lists from 8 values (padding a shorter list costs nothing worth
	// a statement) to inListMax; rows from 1 (no padding) to rowsMax.
	sizedList := []struct {
		dst      **sized
		min, max int
		text     func(n int) string
	}{
		{&s.byKey, 8, inListMax, inList(`SELECT c.item_key, c.article_id, c.content_hash, a.content_hash, a.published, a.categories, a.title_key
			FROM carriages c JOIN articles a ON a.id = c.article_id WHERE c.source_id = ? AND c.item_key IN `)},
		{&s.byLink, 8, inListMax, inList(`SELECT link_key, id, content_hash, published, categories, title_key FROM articles WHERE link_key IN `)},
		{&s.byPastLink, 8, inListMax, inList(`SELECT l.link, a.id, a.content_hash, a.published, a.categories, a.title_key
			FROM article_links l JOIN articles a ON a.id = l.article_id WHERE l.link IN `)},
		{&s.byTitle, 8, inListMax, inList(`SELECT title_key, id, content_hash, published, categories, title_key FROM articles WHERE title_key IN `)},
		{&s.byPastTitle, 8, inListMax, inList(`SELECT t.title_key, a.id, a.content_hash, a.published, a.categories, a.title_key
			FROM article_titles t JOIN articles a ON a.id = t.article_id WHERE t.title_key IN `)},
		{&s.tagsOf, 8, inListMax, inList(`SELECT at.article_id, at.tag_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
			WHERE at.article_id IN `)},
		{&s.insCarriages, 1, rowsMax, valuesRows(`INSERT INTO carriages (source_id, item_key, article_id, published, first_seen, creator, rule, guid, link, title, content_hash)`, carriageCols)},
		{&s.insTags, 1, rowsMax, valuesRows(`INSERT OR IGNORE INTO article_tags (article_id, tag_id)`, 2)},
		{&s.insTerms, 1, rowsMax, valuesRows(`INSERT OR REPLACE INTO article_terms (article_id, terms)`, 2)},
		// Lists of articles deleted meanwhile (retention) are skipped; an
		// unchanged list is not rewritten (and not counted as changed).
		{&s.putLists, 1, rowsMax, func(n int) string {
			return `INSERT INTO related_lists (article_id, list) SELECT v.column1, v.column2 FROM (` + valuesRows(``, 2)(n) +
				`) AS v WHERE EXISTS (SELECT 1 FROM articles WHERE id = v.column1)
				ON CONFLICT (article_id) DO UPDATE SET list = excluded.list WHERE list != excluded.list`
		}},
		{&s.addUses, 1, rowsMax, func(n int) string {
			return `UPDATE tags SET uses = uses + v.column2 FROM (` + valuesRows(``, 2)(n) + `) AS v WHERE tags.id = v.column1`
		}},
	}
	for _, p := range sizedList {
		st, err := prepareSized(ctx, db, p.min, p.max, p.text)
		if err != nil {
			return nil, errors.Join(err, s.close())
		}
		*p.dst = st
		s.allSized = append(s.allSized, st)
	}
	return s, nil
}

// Largest classes of sized statements: values in an IN list, rows in an INSERT.
const (
	inListMax = 512
	rowsMax   = 256
)

func (s *stmts) close() error {
	var errs []error
	for _, st := range s.all {
		errs = append(errs, st.Close())
	}
	for _, st := range s.allSized {
		errs = append(errs, st.close())
	}
	return errors.Join(errs...)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// addUses adds counts of new article_tags rows to the tags' use counts, one
// statement per distinct tag (deletes decrement through a trigger).
func addUses(ctx context.Context, tx *sql.Tx, st *sized, uses map[int64]int64) error {
	rows := make([]any, 0, 2*len(uses))
	for tid, n := range uses {
		if n != 0 {
			rows = append(rows, tid, n)
		}
	}
	// A feed touches up to a few hundred tags: many rows a statement.
	if err := st.exec(ctx, tx, rows, 2); err != nil {
		return fmt.Errorf("count tag uses: %w", err)
	}
	return nil
}

// Categories are stored '\n'-joined, at most maxCategories of at most
// maxCategoryBytes each: they are input for `feedloom retag`, and a hostile
// feed must not make every row of its source large.
const (
	maxCategories    = 100
	maxCategoryBytes = 200
)

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

// cleanCategories makes a feed's categories storable: line breaks become
// spaces (the separator), surrounding space goes, each is cut to
// maxCategoryBytes at a rune boundary, empty and repeated ones are dropped,
// and at most maxCategories are kept, in the feed's order.
func cleanCategories(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	out := make([]string, 0, min(len(in), maxCategories))
	for _, c := range in {
		if len(out) == maxCategories {
			break
		}
		if strings.ContainsAny(c, "\r\n") {
			c = lineBreaks.Replace(c)
		}
		c = strings.TrimSpace(c)
		if len(c) > maxCategoryBytes {
			n := maxCategoryBytes
			for n > 0 && !utf8.RuneStart(c[n]) {
				n--
			}
			c = strings.TrimSpace(c[:n])
		}
		if c != "" && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func splitCategories(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// unionCategories appends to have the cleaned categories it lacks, up to
// maxCategories; changed reports whether any was added.
func unionCategories(have, add []string) (_ []string, changed bool) {
	for _, c := range add {
		if len(have) >= maxCategories {
			break
		}
		if !slices.Contains(have, c) {
			have = append(have, c)
			changed = true
		}
	}
	return have, changed
}
