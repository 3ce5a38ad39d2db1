package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// SaveRelated replaces the stored related list of each article in lists (in
// list order; ArticleID and Score are used), all in one transaction: one
// row per list. Lists of articles that no longer exist are skipped:
// retention may have removed them since the lists were computed. Entries
// pointing at deleted articles are written as given and skipped on read.
func (db *DB) SaveRelated(ctx context.Context, lists map[int64][]feeds.RelatedPost) error {
	if len(lists) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(lists))
	for id := range lists {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	rows := make([]any, 0, 2*len(ids))
	var buf []byte
	for _, id := range ids {
		buf = encodeList(buf[:0], id, lists[id])
		rows = append(rows, id, string(buf))
	}
	// A content change (Generation) when any list was written; many
	// lists a statement (a cold pass writes tens of thousands).
	err := db.writeTx(ctx, func(tx *sql.Tx) (wrote bool, err error) {
		n, err := db.st.putLists.execCount(ctx, tx, rows, 2)
		return n > 0, err
	})
	if err != nil {
		return fmt.Errorf("save related: %w", err)
	}
	return nil
}

// encodeList appends the stored form of an article's related list to buf:
// "ID:SCORE" entries in rank order separated by ',', the article itself
// left out.
func encodeList(buf []byte, self int64, list []feeds.RelatedPost) []byte {
	first := true
	for _, p := range list {
		if p.ArticleID == self {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = strconv.AppendInt(buf, p.ArticleID, 10)
		buf = append(buf, ':')
		buf = strconv.AppendFloat(buf, p.Score, 'g', -1, 64)
	}
	return buf
}

// decodeList parses encodeList's form into entries with ArticleID and
// Score set. A malformed entry is an error: the column is only written here.
func decodeList(s string) ([]feeds.RelatedPost, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]feeds.RelatedPost, 0, strings.Count(s, ",")+1)
	for entry := range strings.SplitSeq(s, ",") {
		idText, scoreText, ok := strings.Cut(entry, ":")
		id, err1 := strconv.ParseInt(idText, 10, 64)
		score, err2 := strconv.ParseFloat(scoreText, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed related entry %q", entry)
		}
		out = append(out, feeds.RelatedPost{ArticleID: id, Score: score})
	}
	return out, nil
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
		return nil, fmt.Errorf("read the list of article %d: %w", id, err)
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
		return nil, fmt.Errorf("read related lists: %w", err)
	}
	return out, nil
}

func relatedFor(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64][]feeds.RelatedPost, error) {
	out := make(map[int64][]feeds.RelatedPost)
	var want []int64 // every article named in a list
	err := chunks(ids, func(part []int64) error {
		var bad error // the first list that does not decode
		err := eachPair(ctx, tx, `SELECT article_id, list FROM related_lists
			WHERE article_id IN (`+placeholders(len(part))+`) AND list != ''`, part, func(id int64, list string) {
			posts, err := decodeList(list)
			if err != nil {
				bad = cmp.Or(bad, fmt.Errorf("article %d: %w", id, err))
				return
			}
			out[id] = posts
			for _, p := range posts {
				want = append(want, p.ArticleID)
			}
		})
		return cmp.Or(err, bad)
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	type info struct {
		title, link string
		published   int64
	}
	found := make(map[int64]info, len(want))
	slices.Sort(want)
	want = slices.Compact(want)
	err = chunks(want, func(part []int64) (err error) {
		rows, err := tx.QueryContext(ctx, `SELECT id, title, link, published FROM articles
			WHERE id IN (`+placeholders(len(part))+`)`, int64Args(part)...)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			var id int64
			var a info
			if err := rows.Scan(&id, &a.title, &a.link, &a.published); err != nil {
				return err
			}
			found[id] = a
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Keep the entries whose article still exists (retention may have
	// deleted one since its list was saved), and gather whose tags to read.
	tagged := make(map[int64]bool)
	for id, list := range out {
		kept := list[:0]
		for _, p := range list {
			a, ok := found[p.ArticleID]
			if !ok {
				continue
			}
			p.Title, p.Link, p.Published = a.title, a.link, fromMS(a.published)
			kept = append(kept, p)
			tagged[p.ArticleID] = true
		}
		if len(kept) == 0 {
			delete(out, id)
			continue
		}
		out[id] = kept
		tagged[id] = true
	}
	want = want[:0]
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
	defer func() { err = db.faults.note(err) }()
	rows, err := db.c.QueryContext(ctx, `SELECT id FROM articles a INDEXED BY articles_published
		WHERE NOT EXISTS (SELECT 1 FROM related_lists r WHERE r.article_id = a.id) ORDER BY id`)
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
