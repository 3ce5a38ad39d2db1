package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// SaveRelated replaces the stored related list of each article in lists (in
// list order; ArticleID and Score are used) and marks it computed, all in
// one transaction. Lists of articles that no longer exist, and entries
// pointing at articles that no longer exist, are skipped: retention may have
// removed them since the lists were computed.
func (db *DB) SaveRelated(ctx context.Context, lists map[int64][]feeds.RelatedPost) error {
	if len(lists) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(lists))
	for id := range lists {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	now := time.Now().UnixMilli()
	// A content change (Generation) when any list was written.
	err := db.writeTx(ctx, func(tx *sql.Tx) (wrote bool, err error) {
		var mark, exists, del, ins *sql.Stmt
		defer func() { err = errors.Join(err, closeStmts(mark, exists, del, ins)) }()
		// Only a list computed for the first time (related_at NULL) marks
		// its article: rewriting an article row, text and all, for every
		// list a newcomer joins was a third of an ingest's time.
		if mark, err = tx.PrepareContext(ctx, `UPDATE articles SET related_at = ? WHERE id = ? AND related_at IS NULL`); err != nil {
			return false, err
		}
		if exists, err = tx.PrepareContext(ctx, `SELECT 1 FROM articles WHERE id = ?`); err != nil {
			return false, err
		}
		// A list is overwritten rank by rank and its old tail cut, rather
		// than deleted and inserted again: most saves shift a newcomer into
		// a list that keeps most of its rows (a third less work per list).
		if del, err = tx.PrepareContext(ctx, `DELETE FROM related WHERE article_id = ? AND rank >= ?`); err != nil {
			return false, err
		}
		if ins, err = tx.PrepareContext(ctx, `INSERT INTO related (article_id, rank, related_id, score)
			SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ?)
			ON CONFLICT (article_id, rank) DO UPDATE SET related_id = excluded.related_id, score = excluded.score`); err != nil {
			return false, err
		}
		for _, id := range ids {
			r, err := mark.ExecContext(ctx, now, id)
			if err != nil {
				return false, fmt.Errorf("article %d: %w", id, err)
			}
			n, err := r.RowsAffected()
			if err != nil {
				return false, fmt.Errorf("article %d: %w", id, err)
			}
			if n == 0 {
				var one int
				switch err := exists.QueryRowContext(ctx, id).Scan(&one); {
				case errors.Is(err, sql.ErrNoRows):
					continue // gone
				case err != nil:
					return false, fmt.Errorf("article %d: %w", id, err)
				}
			}
			wrote = true
			rank := 0
			for _, p := range lists[id] {
				if p.ArticleID == id {
					continue
				}
				r, err := ins.ExecContext(ctx, id, rank, p.ArticleID, p.Score, p.ArticleID)
				if err != nil {
					return false, fmt.Errorf("article %d: %w", id, err)
				}
				n, err := r.RowsAffected()
				if err != nil {
					return false, fmt.Errorf("article %d: %w", id, err)
				}
				rank += int(n)
			}
			if _, err := del.ExecContext(ctx, id, rank); err != nil {
				return false, fmt.Errorf("article %d: %w", id, err)
			}
		}
		return wrote, nil
	})
	if err != nil {
		return fmt.Errorf("save related: %w", err)
	}
	return nil
}

// Related returns an article's stored related posts in rank order, each with
// its title, link, published, score and the tags the two share;
// feeds.ErrNotFound when the article does not exist.
func (db *DB) Related(ctx context.Context, id int64) ([]feeds.RelatedPost, error) {
	var out []feeds.RelatedPost
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		m, err := relatedFor(ctx, tx, []int64{id})
		if err != nil {
			return err
		}
		out = m[id]
		if len(out) > 0 {
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM articles WHERE id = ?`, id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return feeds.ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("related of %d: %w", id, err)
	}
	return out, nil
}

// RelatedFor returns the related lists of many articles (a rendered feed
// page) with two queries per 500 ids; articles without a list are absent.
func (db *DB) RelatedFor(ctx context.Context, ids []int64) (map[int64][]feeds.RelatedPost, error) {
	var out map[int64][]feeds.RelatedPost
	err := db.readTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = relatedFor(ctx, tx, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("related: %w", err)
	}
	return out, nil
}

func relatedFor(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64][]feeds.RelatedPost, error) {
	out := make(map[int64][]feeds.RelatedPost)
	tagged := make(map[int64]bool)
	err := chunks(ids, func(part []int64) (err error) {
		rows, err := tx.QueryContext(ctx, `SELECT r.article_id, r.related_id, r.score, a.title, a.link, a.published
			FROM related r JOIN articles a ON a.id = r.related_id
			WHERE r.article_id IN (`+placeholders(len(part))+`) ORDER BY r.article_id, r.rank`, int64Args(part)...)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			var id, pub int64
			var p feeds.RelatedPost
			if err := rows.Scan(&id, &p.ArticleID, &p.Score, &p.Title, &p.Link, &pub); err != nil {
				return err
			}
			p.Published = fromMS(pub)
			out[id] = append(out[id], p)
			tagged[id], tagged[p.ArticleID] = true, true
		}
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	want := make([]int64, 0, len(tagged))
	for id := range tagged {
		want = append(want, id)
	}
	slices.Sort(want)
	tags := make(map[int64][]string, len(want))
	err = chunks(want, func(part []int64) error {
		return eachPair(ctx, tx, `SELECT at.article_id, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id
			WHERE at.article_id IN (`+placeholders(len(part))+`)`, part, func(id int64, name string) {
			tags[id] = append(tags[id], name)
		})
	})
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		sort.Strings(t)
	}
	for id, list := range out {
		for i := range list {
			list[i].Shared = intersect(tags[id], tags[list[i].ArticleID])
		}
	}
	return out, nil
}

// intersect returns the strings two sorted slices share, sorted.
func intersect(a, b []string) []string {
	var out []string
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			out = append(out, a[i])
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return out
}

// PendingRelated returns, by id, the articles whose related list is not
// computed: new ones, changed ones, and those whose list lost an entry to
// retention.
func (db *DB) PendingRelated(ctx context.Context) (_ []int64, err error) {
	rows, err := db.c.QueryContext(ctx, `SELECT id FROM articles INDEXED BY articles_pending
		WHERE related_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("pending related: %w", err)
	}
	defer closeRows(rows, &err)
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("pending related: %w", err)
		}
		out = append(out, id)
	}
	return out, nil
}
