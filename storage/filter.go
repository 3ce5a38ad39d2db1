package storage

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// tagStat is a tag's id and use count.
type tagStat struct {
	id   int64
	uses int64
}

// Articles returns the articles f selects, newest first (published desc, id
// desc), with Tags and Sources. Unknown tags in TagsAny/TagsAll (and unknown
// Sources) match nothing; unknown TagsNone are ignored.
//
// Plan: when the rarest tag constraint is rare enough (its use count squared
// under limit × articles), the query walks that tag's postings and sorts
// them; otherwise it walks the published index newest first and stops after
// limit matches. Either way a query touches about min(df, limit·N/df) rows.
func (db *DB) Articles(ctx context.Context, f feeds.Filter) ([]feeds.Article, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = defaultLimit
	}
	var out []feeds.Article
	err := db.readTx(ctx, func(tx *sql.Tx) (err error) {
		stats, err := tagStats(ctx, tx, f.TagsAny, f.TagsAll, f.TagsNone)
		if err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT articles FROM meta WHERE id = 1`).Scan(&n); err != nil {
			return err
		}
		q, args, ok := buildFilter(f, stats, limit, n)
		if !ok {
			return nil
		}
		if len(f.Sources) > 0 {
			srcIDs, err := sourceIDs(ctx, tx, f.Sources)
			if err != nil {
				return err
			}
			if len(srcIDs) == 0 {
				return nil
			}
			q.where = append(q.where, `EXISTS (SELECT 1 FROM carriages c WHERE c.article_id = a.id AND c.source_id IN (`+
				placeholders(len(srcIDs))+`))`)
			args.where = append(args.where, int64Args(srcIDs)...)
		}
		rows, err := tx.QueryContext(ctx, q.sql(), args.all(limit)...)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			a, err := scanArticle(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return fillTagsSources(ctx, tx, out)
	})
	if err != nil {
		return nil, fmt.Errorf("articles: %w", err)
	}
	return out, nil
}

type filterQuery struct {
	from  string
	where []string
}

func (q filterQuery) sql() string {
	s := `SELECT ` + articleCols + ` FROM ` + q.from
	if len(q.where) > 0 {
		s += ` WHERE ` + strings.Join(q.where, ` AND `)
	}
	return s + ` ORDER BY a.published DESC, a.id DESC LIMIT ?`
}

type filterArgs struct{ from, where []any }

func (a filterArgs) all(limit int) []any {
	return append(append(append([]any{}, a.from...), a.where...), limit)
}

// buildFilter turns the tag constraints into SQL; ok is false when they
// cannot match anything.
func buildFilter(f feeds.Filter, stats map[string]tagStat, limit int, n int64) (filterQuery, filterArgs, bool) {
	var anyIDs []int64
	var anyUses int64
	for _, t := range f.TagsAny {
		if s, ok := stats[t]; ok {
			anyIDs = append(anyIDs, s.id)
			anyUses += s.uses
		}
	}
	if len(f.TagsAny) > 0 && len(anyIDs) == 0 {
		return filterQuery{}, filterArgs{}, false
	}
	var allIDs []int64
	driver, driverUses := -2, int64(-1) // -1: the TagsAny set; >= 0: allIDs[driver]
	if len(anyIDs) > 0 {
		driver, driverUses = -1, anyUses
	}
	for _, t := range f.TagsAll {
		s, ok := stats[t]
		if !ok {
			return filterQuery{}, filterArgs{}, false
		}
		if driverUses < 0 || s.uses < driverUses {
			driver, driverUses = len(allIDs), s.uses
		}
		allIDs = append(allIDs, s.id)
	}
	var noneIDs []int64
	for _, t := range f.TagsNone {
		if s, ok := stats[t]; ok {
			noneIDs = append(noneIDs, s.id)
		}
	}

	q := filterQuery{from: `articles a`}
	var args filterArgs
	useDriver := driver > -2 && driverUses*driverUses < int64(limit)*n
	if useDriver {
		ids := anyIDs
		if driver >= 0 {
			ids = allIDs[driver : driver+1]
		}
		// CROSS JOIN keeps the postings as the outer loop.
		q.from = `(SELECT DISTINCT article_id FROM article_tags WHERE tag_id IN (` + placeholders(len(ids)) +
			`)) p CROSS JOIN articles a ON a.id = p.article_id`
		args.from = int64Args(ids)
	}
	if len(anyIDs) > 0 && !(useDriver && driver == -1) {
		q.where = append(q.where, `EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag_id IN (`+
			placeholders(len(anyIDs))+`))`)
		args.where = append(args.where, int64Args(anyIDs)...)
	}
	for i, id := range allIDs {
		if useDriver && i == driver {
			continue
		}
		q.where = append(q.where, `EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag_id = ?)`)
		args.where = append(args.where, id)
	}
	if len(noneIDs) > 0 {
		q.where = append(q.where, `NOT EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id AND t.tag_id IN (`+
			placeholders(len(noneIDs))+`))`)
		args.where = append(args.where, int64Args(noneIDs)...)
	}
	return q, args, true
}

// tagStats looks up the ids and use counts of the named tags.
func tagStats(ctx context.Context, tx *sql.Tx, lists ...[]string) (_ map[string]tagStat, err error) {
	var names []any
	for _, l := range lists {
		for _, t := range l {
			names = append(names, t)
		}
	}
	out := make(map[string]tagStat, len(names))
	if len(names) == 0 {
		return out, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT name, id, uses FROM tags WHERE name IN (`+placeholders(len(names))+`)`, names...)
	if err != nil {
		return nil, fmt.Errorf("tag ids: %w", err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var n string
		var s tagStat
		if err := rows.Scan(&n, &s.id, &s.uses); err != nil {
			return nil, fmt.Errorf("tag ids: %w", err)
		}
		out[n] = s
	}
	return out, nil
}

// sourceIDs looks up the ids of the named sources (unknown names are skipped).
func sourceIDs(ctx context.Context, tx *sql.Tx, names []string) (_ []int64, err error) {
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sources WHERE name IN (`+placeholders(len(names))+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("source ids: %w", err)
	}
	defer closeRows(rows, &err)
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("source ids: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}
