package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// defaultLimit is what Articles returns when Filter.Limit is 0.
const defaultLimit = 50

const articleCols = `a.id, a.guid, a.link, a.title, a.title_key, a.summary, a.content, a.author,
	a.published, a.updated, a.first_seen, a.content_hash, a.categories,
	coalesce((SELECT terms FROM article_terms WHERE article_id = a.id), '')`

func scanArticle(sc interface{ Scan(...any) error }, extra ...any) (feeds.Article, error) {
	var a feeds.Article
	var pub, first int64
	var upd sql.NullInt64
	var cats, terms string
	err := sc.Scan(append([]any{&a.ID, &a.GUID, &a.Link, &a.Title, &a.TitleKey, &a.Summary, &a.Content, &a.Author,
		&pub, &upd, &first, &a.ContentHash, &cats, &terms}, extra...)...)
	a.Published, a.Updated, a.FirstSeen = fromMS(pub), fromNullMS(upd), fromMS(first)
	a.Categories = splitCategories(cats)
	a.Terms = splitTerms(terms)
	return a, err
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Article returns one article with its Tags (sorted), Categories (as
// stored) and Sources (first carrier first), or feeds.ErrNotFound.
func (db *DB) Article(ctx context.Context, id int64) (feeds.Article, error) {
	var a feeds.Article
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = scanArticle(tx.QueryRowContext(ctx, `SELECT `+articleCols+` FROM articles a WHERE a.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return feeds.ErrNotFound
		}
		if err != nil {
			return err
		}
		arts := []feeds.Article{a}
		if err := fillTagsSources(ctx, tx, arts); err != nil {
			return err
		}
		a = arts[0]
		return nil
	})
	if err != nil {
		return feeds.Article{}, fmt.Errorf("article %d: %w", id, err)
	}
	return a, nil
}

// ArticlesByIDs returns the articles of ids that exist (with Tags,
// Categories and Sources), keyed by id; missing ids are simply absent.
func (db *DB) ArticlesByIDs(ctx context.Context, ids []int64) (map[int64]feeds.Article, error) {
	out := make(map[int64]feeds.Article, len(ids))
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var arts []feeds.Article
		err := chunks(ids, func(part []int64) (err error) {
			rows, err := tx.QueryContext(ctx, `SELECT `+articleCols+` FROM articles a WHERE a.id IN (`+
				placeholders(len(part))+`)`, int64Args(part)...)
			if err != nil {
				return err
			}
			defer closeRows(rows, &err)
			for rows.Next() {
				a, err := scanArticle(rows)
				if err != nil {
					return err
				}
				arts = append(arts, a)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := fillTagsSources(ctx, tx, arts); err != nil {
			return err
		}
		for _, a := range arts {
			out[a.ID] = a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("articles by id: %w", err)
	}
	return out, nil
}

// fillTagsSources sets Tags (sorted) and Sources (first carrier first) of arts.
func fillTagsSources(ctx context.Context, q querier, arts []feeds.Article) error {
	if len(arts) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(arts))
	ids := make([]int64, len(arts))
	for i, a := range arts {
		idx[a.ID], ids[i] = i, a.ID
	}
	return chunks(ids, func(part []int64) error {
		in := placeholders(len(part))
		err := eachPair(ctx, q, `SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
			WHERE at.article_id IN (`+in+`) ORDER BY at.article_id, t.name`, part, func(id int64, s string) {
			arts[idx[id]].Tags = append(arts[idx[id]].Tags, s)
		})
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		err = eachPair(ctx, q, `SELECT c.article_id, s.name FROM carriages c JOIN sources s ON s.id = c.source_id
			WHERE c.article_id IN (`+in+`) ORDER BY c.article_id, c.creator DESC, c.first_seen, s.id`, part, func(id int64, s string) {
			a := &arts[idx[id]]
			if !slices.Contains(a.Sources, s) { // a source may carry one story under two item keys
				a.Sources = append(a.Sources, s)
			}
		})
		if err != nil {
			return fmt.Errorf("sources: %w", err)
		}
		return nil
	})
}

// eachPair runs a query returning (id, text) rows and calls fn for each.
func eachPair(ctx context.Context, q querier, query string, ids []int64, fn func(int64, string)) (err error) {
	rows, err := q.QueryContext(ctx, query, int64Args(ids)...)
	if err != nil {
		return err
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return err
		}
		fn(id, s)
	}
	return nil
}

// Tags returns the most used tags first (ties by name), at most limit (all when limit <= 0).
func (db *DB) Tags(ctx context.Context, limit int) (_ []feeds.TagCount, err error) {
	defer func() { err = db.faults.note(err) }()
	if limit <= 0 {
		limit = -1
	}
	rows, err := db.r.QueryContext(ctx, `SELECT name, uses FROM tags WHERE uses > 0
		ORDER BY uses DESC, name LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	defer closeRows(rows, &err)
	var out []feeds.TagCount
	for rows.Next() {
		var tc feeds.TagCount
		if err := rows.Scan(&tc.Tag, &tc.Count); err != nil {
			return nil, fmt.Errorf("tags: %w", err)
		}
		out = append(out, tc)
	}
	return out, nil
}

// PopularTags returns at most limit of the most used tags that articles of
// at least minSources sources carry and that keep accepts (nil: all), most
// used first: the index's "popular tags", which one prolific source's own
// tags would otherwise fill. It looks at the limit*popularScan most used
// tags only, and counts a tag's sources only up to minSources, through the
// tag and carriage indexes.
func (db *DB) PopularTags(ctx context.Context, limit, minSources int, keep func(string) bool) ([]feeds.TagCount, error) {
	if limit <= 0 {
		return nil, nil
	}
	type cand struct {
		id int64
		tc feeds.TagCount
	}
	var out []feeds.TagCount
	err := db.readTx(ctx, func(tx *sql.Tx) (err error) {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, uses FROM tags WHERE uses > 0
			ORDER BY uses DESC, name LIMIT ?`, limit*popularScan)
		if err != nil {
			return err
		}
		var cands []cand
		for rows.Next() {
			var c cand
			if err := rows.Scan(&c.id, &c.tc.Tag, &c.tc.Count); err != nil {
				return errors.Join(err, rows.Close())
			}
			if keep == nil || keep(c.tc.Tag) {
				cands = append(cands, c)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		span, err := tx.PrepareContext(ctx, `SELECT count(*) FROM (SELECT DISTINCT c.source_id
			FROM article_tags t JOIN carriages c ON c.article_id = t.article_id WHERE t.tag_id = ? LIMIT ?)`)
		if err != nil {
			return err
		}
		defer func() { err = errors.Join(err, span.Close()) }()
		for _, c := range cands {
			var n int
			if err := span.QueryRowContext(ctx, c.id, minSources).Scan(&n); err != nil {
				return err
			}
			if n >= minSources {
				if out = append(out, c.tc); len(out) == limit {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("popular tags: %w", err)
	}
	return out, nil
}

// popularScan bounds PopularTags' candidates to this many per tag shown.
const popularScan = 10

// TagCount returns how many articles carry tag; 0 (and no error) for a tag
// no article carries, which a tag page answers with 404.
func (db *DB) TagCount(ctx context.Context, tag string) (int, error) {
	var n int
	err := db.r.QueryRowContext(ctx, `SELECT uses FROM tags WHERE name = ?`, tag).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("tag count %q: %w", tag, db.faults.note(err))
	}
	return n, nil
}

// SetTerms replaces an article's key terms (feedloom retag) and marks its
// related list pending, or returns feeds.ErrNotFound.
func (db *DB) SetTerms(ctx context.Context, id int64, terms []string) error {
	err := db.writeTx(ctx, func(tx *sql.Tx) (bool, error) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM articles WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, feeds.ErrNotFound
		}
		if err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO article_terms (article_id, terms) VALUES (?, ?)`,
			id, strings.Join(terms, "\n")); err != nil {
			return false, err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM related_lists WHERE article_id = ?`, id); err != nil {
			return false, err
		}
		return true, nil
	})
	if err != nil {
		return fmt.Errorf("set terms of %d: %w", id, err)
	}
	return nil
}

// SetTags replaces an article's tags (for `feedloom retag`); when they
// change, its related list is marked pending and Generation is bumped.
// feeds.ErrNotFound when the article does not exist.
func (db *DB) SetTags(ctx context.Context, id int64, tags []string) error {
	var pending map[string]int64
	err := db.writeTx(ctx, func(tx *sql.Tx) (changed bool, err error) {
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM articles WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, feeds.ErrNotFound
		}
		if err != nil {
			return false, err
		}
		res := tagResolver{ctx: ctx, cache: &db.tags,
			sel: tx.StmtContext(ctx, db.st.tagID), ins: tx.StmtContext(ctx, db.st.insTag)}
		want := make(map[int64]bool, len(tags))
		for _, t := range tags {
			if t == "" {
				continue
			}
			tid, err := res.id(t)
			if err != nil {
				return false, err
			}
			want[tid] = true
		}
		pending = res.pending
		have, err := articleTagIDs(ctx, tx, id)
		if err != nil {
			return false, err
		}
		for _, tid := range have {
			if want[tid] {
				delete(want, tid)
				continue
			}
			// The delete trigger decrements the tag's use count.
			if _, err := tx.ExecContext(ctx, `DELETE FROM article_tags WHERE article_id = ? AND tag_id = ?`, id, tid); err != nil {
				return false, err
			}
			changed = true
		}
		uses := make(map[int64]int64, len(want))
		for tid := range want {
			if _, err := tx.ExecContext(ctx, `INSERT INTO article_tags (article_id, tag_id) VALUES (?, ?)`, id, tid); err != nil {
				return false, err
			}
			uses[tid]++
			changed = true
		}
		if err := addUses(ctx, tx, db.st.addUses, uses); err != nil {
			return false, err
		}
		if changed {
			_, err = tx.StmtContext(ctx, db.st.clearRelated).ExecContext(ctx, id)
		}
		return changed, err
	})
	if err != nil {
		return fmt.Errorf("set tags of %d: %w", id, err)
	}
	db.tags.merge(pending)
	return nil
}

func articleTagIDs(ctx context.Context, tx *sql.Tx, id int64) (_ []int64, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT tag_id FROM article_tags WHERE article_id = ?`, id)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows, &err)
	var out []int64
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// EachArticle streams every article, by id, with Tags, Categories and
// Sources, to fn (for `feedloom retag`). fn may write through db: reads and writes use
// different connections. An error from fn stops the walk and is returned.
func (db *DB) EachArticle(ctx context.Context, fn func(a feeds.Article) error) (err error) {
	defer func() { err = db.faults.note(err) }()
	rows, err := db.r.QueryContext(ctx, `SELECT `+articleCols+`,
		(SELECT group_concat(t.name, char(31) ORDER BY t.name) FROM article_tags at
			JOIN tags t ON t.id = at.tag_id WHERE at.article_id = a.id),
		(SELECT group_concat(s.name, char(31) ORDER BY c.creator DESC, c.first_seen, s.id) FROM carriages c
			JOIN sources s ON s.id = c.source_id WHERE c.article_id = a.id)
		FROM articles a ORDER BY a.id`)
	if err != nil {
		return fmt.Errorf("each article: %w", err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var tags, srcs sql.NullString
		a, err := scanArticle(rows, &tags, &srcs)
		if err != nil {
			return fmt.Errorf("each article: %w", err)
		}
		a.Tags, a.Sources = splitList(tags), slices.Compact(splitList(srcs))
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}

func splitList(s sql.NullString) []string {
	if !s.Valid || s.String == "" {
		return nil
	}
	return strings.Split(s.String, "\x1f")
}

// EachArticleTags streams what the related index knows of every article
// (id, published, title key, sorted tags, key terms), grouped per article in
// no particular order, for building the index: one pass over a covering
// index joined with article_tags, tag names from one read of the tags table,
// and the terms from one pass over article_terms.
func (db *DB) EachArticleTags(ctx context.Context, fn func(feeds.IndexEntry) error) error {
	err := db.readTx(ctx, func(tx *sql.Tx) (err error) {
		names, err := tagNames(ctx, tx)
		if err != nil {
			return err
		}
		terms, err := allTerms(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.published, a.title_key, at.tag_id
			FROM articles a INDEXED BY articles_title_key
			LEFT JOIN article_tags at ON at.article_id = a.id`)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		cur := feeds.IndexEntry{ID: -1}
		flush := func() error {
			if cur.ID < 0 {
				return nil
			}
			sort.Strings(cur.Tags)
			cur.Terms = splitTerms(terms[cur.ID])
			return fn(cur)
		}
		for rows.Next() {
			var id, pub int64
			var title string
			var tid sql.NullInt64
			if err := rows.Scan(&id, &pub, &title, &tid); err != nil {
				return err
			}
			if id != cur.ID {
				if err := flush(); err != nil {
					return err
				}
				cur = feeds.IndexEntry{ID: id, Published: fromMS(pub), TitleKey: title}
			}
			if tid.Valid {
				if n, ok := names[tid.Int64]; ok {
					cur.Tags = append(cur.Tags, n)
				}
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return flush()
	})
	if err != nil {
		return fmt.Errorf("each article tags: %w", err)
	}
	return nil
}

// allTerms reads every article's joined key terms.
func allTerms(ctx context.Context, tx *sql.Tx) (map[int64]string, error) {
	return idStrings(ctx, tx, `SELECT article_id, terms FROM article_terms`)
}

// splitTerms is the inverse of the '\n' join article_terms stores.
func splitTerms(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// ArticleTagsByIDs calls fn, in id order, with what the related index
// knows of each article of ids that exists (see EachArticleTags), without
// reading the text columns. fn runs inside one read transaction; an error
// from it stops the walk and is returned.
func (db *DB) ArticleTagsByIDs(ctx context.Context, ids []int64, fn func(feeds.IndexEntry) error) error {
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	err := db.readTxOn(ctx, db.c, func(tx *sql.Tx) error {
		return chunks(sorted, func(part []int64) (err error) {
			rows, err := tx.QueryContext(ctx, `SELECT a.id, a.published, a.title_key, t.name,
				(SELECT terms FROM article_terms WHERE article_id = a.id)
				FROM articles a
				LEFT JOIN article_tags at ON at.article_id = a.id LEFT JOIN tags t ON t.id = at.tag_id
				WHERE a.id IN (`+placeholders(len(part))+`) ORDER BY a.id, t.name`, int64Args(part)...)
			if err != nil {
				return err
			}
			defer closeRows(rows, &err)
			cur := feeds.IndexEntry{ID: -1}
			for rows.Next() {
				var id, pub int64
				var title string
				var tag, terms sql.NullString
				if err := rows.Scan(&id, &pub, &title, &tag, &terms); err != nil {
					return err
				}
				if id != cur.ID {
					if cur.ID >= 0 {
						if err := fn(cur); err != nil {
							return err
						}
					}
					cur = feeds.IndexEntry{ID: id, Published: fromMS(pub), TitleKey: title, Terms: splitTerms(terms.String)}
				}
				if tag.Valid {
					cur.Tags = append(cur.Tags, tag.String)
				}
			}
			if err := rows.Err(); err != nil || cur.ID < 0 {
				return err
			}
			return fn(cur)
		})
	})
	if err != nil {
		return fmt.Errorf("article tags by id: %w", err)
	}
	return nil
}

// tagNames maps every tag id to its name; the strings are shared by every
// article that carries the tag.
func tagNames(ctx context.Context, tx *sql.Tx) (map[int64]string, error) {
	return idStrings(ctx, tx, `SELECT id, name FROM tags`)
}

// idStrings reads a query of (id, text) rows into a map.
func idStrings(ctx context.Context, tx *sql.Tx, query string) (_ map[int64]string, err error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer closeRows(rows, &err)
	out := make(map[int64]string)
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, nil
}

// MergedInto returns the article that took in article id when dedupe merged
// it into another, feeds.ErrNotFound when id was never merged.
func (db *DB) MergedInto(ctx context.Context, id int64) (int64, error) {
	var to int64
	err := db.r.QueryRowContext(ctx, `SELECT article_id FROM article_aliases WHERE old_id = ?`, id).Scan(&to)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, feeds.ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("merged article %d: %w", id, db.faults.note(err))
	}
	return to, nil
}
