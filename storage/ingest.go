package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// titleWindow is how far apart two articles' publication times may be for
// the same normalised title to make them one story (SPEC.md, Dedupe).
const titleWindow = 48 * time.Hour

// minTitleWords is the fewest words a TitleKey needs to identify a story on
// its own; shorter titles ("Live updates") never merge by title.
const minTitleWords = 4

// ingester holds one Ingest transaction's statements and state.
type ingester struct {
	ctx      context.Context
	tx       *sql.Tx
	sourceID int64
	now      int64
	s        stmts // tx-bound copies of DB.st
	tags     tagResolver
	generic  map[string]bool // TitleKeys this batch uses for more than one ItemKey
	res      *feeds.IngestResult
	changed  map[int64]bool
}

// Ingest stores one fetched feed of source in ONE transaction: it saves st
// (the source's fetch state), then dedupes each article, in order:
//
//	(a) the same (source, ItemKey) already carried -> that article;
//	(b) the same non-empty canonical Link from any source -> that article;
//	(c) the same TitleKey from any source, published within 48h -> that
//	    article, unless the title is generic: fewer than 4 words, or this
//	    source sends (in this batch) or carries another item, under a
//	    different ItemKey, with the same TitleKey, or any source carries two
//	    different articles with that TitleKey.
//
// A found article gains the carriage and the union of tags. Its text is
// updated (Updated++) only when the source that carries it under this
// ItemKey sent a new ContentHash — so two sources with different copies of
// one story do not overwrite each other on every fetch; otherwise it is a
// Duplicate. Anything else is inserted (New++). Articles whose text or tags
// changed are in Changed and their related list is marked pending.
func (db *DB) Ingest(ctx context.Context, source string, st feeds.SourceState, arts []feeds.Article, now time.Time) (feeds.IngestResult, error) {
	if source == "" {
		return feeds.IngestResult{}, errors.New("ingest: source without a name")
	}
	st.Name = source
	var res feeds.IngestResult
	var pending map[string]int64
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
		res = feeds.IngestResult{}
		in := &ingester{ctx: ctx, tx: tx, now: ms(now), res: &res, changed: make(map[int64]bool)}
		in.bind(db.st)
		in.tags = tagResolver{ctx: ctx, cache: &db.tags, sel: in.s.tagID, ins: in.s.insTag}
		if err := in.s.upsertState.QueryRowContext(ctx, stateArgs(st)...).Scan(&in.sourceID); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
		in.generic = batchGeneric(arts)
		for i := range arts {
			if err := in.article(&arts[i]); err != nil {
				return fmt.Errorf("item %q: %w", arts[i].ItemKey, err)
			}
		}
		if _, err := in.s.bump.ExecContext(ctx); err != nil {
			return fmt.Errorf("bump generation: %w", err)
		}
		pending = in.tags.pending
		return nil
	})
	if err != nil {
		return feeds.IngestResult{}, fmt.Errorf("ingest %s: %w", source, err)
	}
	db.tags.merge(pending)
	return res, nil
}

// bind makes transaction-bound copies of the prepared statements; on the
// single write connection this reuses them without preparing again.
func (in *ingester) bind(s *stmts) {
	b := func(st *sql.Stmt) *sql.Stmt { return in.tx.StmtContext(in.ctx, st) }
	in.s = stmts{
		carriage: b(s.carriage), byLink: b(s.byLink), byTitle: b(s.byTitle), titleReused: b(s.titleReused),
		insArticle: b(s.insArticle), updArticle: b(s.updArticle), clearRelated: b(s.clearRelated),
		insCarriage: b(s.insCarriage), updCarriage: b(s.updCarriage), insArticleTag: b(s.insArticleTag),
		tagID: b(s.tagID), insTag: b(s.insTag), upsertState: b(s.upsertState), bump: b(s.bump),
	}
}

// itemKey is the article's identity in its source, falling back as
// normalize.ItemKeys does when the caller left it empty.
func itemKey(a *feeds.Article) string {
	switch {
	case a.ItemKey != "":
		return a.ItemKey
	case a.GUID != "":
		return "guid:" + a.GUID
	case a.Link != "":
		return "link:" + a.Link
	default:
		return "title:" + a.TitleKey + "|" + a.Published.UTC().Format(time.RFC3339)
	}
}

// batchGeneric returns the TitleKeys that one document uses for more than
// one item: such a title names a column or a live page, not a story.
func batchGeneric(arts []feeds.Article) map[string]bool {
	first := make(map[string]string, len(arts))
	generic := make(map[string]bool)
	for i := range arts {
		tk, key := arts[i].TitleKey, itemKey(&arts[i])
		if tk == "" {
			continue
		}
		if k, ok := first[tk]; !ok {
			first[tk] = key
		} else if k != key {
			generic[tk] = true
		}
	}
	return generic
}

// found is an existing article an incoming item matched.
type found struct {
	id, published int64
	hash          string
	carried       bool   // matched by (a): this source already carries the item
	carriageHash  string // what this source sent last time, when carried
}

func (in *ingester) article(a *feeds.Article) error {
	key := itemKey(a)
	if a.Published.IsZero() {
		a.Published = fromMS(in.now)
	}
	f, ok, err := in.lookup(a, key)
	if err != nil {
		return err
	}
	var id int64
	textChanged := false
	if !ok {
		first := in.now
		if !a.FirstSeen.IsZero() {
			first = ms(a.FirstSeen)
		}
		err := in.s.insArticle.QueryRowContext(in.ctx, ms(a.Published), first, nullMS(a.Updated),
			a.ContentHash, a.GUID, a.Link, a.TitleKey, a.Title, a.Author, a.Summary, a.Content).Scan(&id)
		if err != nil {
			return fmt.Errorf("insert article: %w", err)
		}
		f = found{id: id, published: ms(a.Published)}
	} else {
		id = f.id
		if f.carried && f.carriageHash != a.ContentHash {
			if f.hash != a.ContentHash {
				upd := a.Updated
				if upd.IsZero() {
					upd = fromMS(in.now)
				}
				if _, err := in.s.updArticle.ExecContext(in.ctx, ms(upd), a.ContentHash, a.TitleKey,
					a.Title, a.Author, a.Summary, a.Content, id); err != nil {
					return fmt.Errorf("update article %d: %w", id, err)
				}
				textChanged = true
			}
			if _, err := in.s.updCarriage.ExecContext(in.ctx, a.ContentHash, in.sourceID, key); err != nil {
				return fmt.Errorf("update carriage: %w", err)
			}
		}
	}
	if !f.carried {
		if _, err := in.s.insCarriage.ExecContext(in.ctx, in.sourceID, key, id, f.published, in.now,
			a.ContentHash); err != nil {
			return fmt.Errorf("insert carriage: %w", err)
		}
	}
	grew, err := in.addTags(id, a.Tags)
	if err != nil {
		return err
	}
	switch {
	case !ok:
		in.res.New++
	case textChanged:
		in.res.Updated++
	case grew:
		if _, err := in.s.clearRelated.ExecContext(in.ctx, id); err != nil {
			return fmt.Errorf("mark related pending: %w", err)
		}
		in.res.Duplicate++
	default:
		in.res.Duplicate++
	}
	if (!ok || textChanged || grew) && !in.changed[id] {
		in.changed[id] = true
		in.res.Changed = append(in.res.Changed, id)
	}
	return nil
}

// lookup applies the dedupe rules (a), (b), (c) in order.
func (in *ingester) lookup(a *feeds.Article, key string) (found, bool, error) {
	var f found
	err := in.s.carriage.QueryRowContext(in.ctx, in.sourceID, key).Scan(&f.id, &f.carriageHash, &f.hash, &f.published)
	if err == nil {
		f.carried = true
		return f, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return f, false, fmt.Errorf("find by item key: %w", err)
	}
	if a.Link != "" {
		err := in.s.byLink.QueryRowContext(in.ctx, a.Link).Scan(&f.id, &f.hash, &f.published)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return f, false, fmt.Errorf("find by link: %w", err)
		}
	}
	if len(strings.Fields(a.TitleKey)) < minTitleWords || in.generic[a.TitleKey] {
		return f, false, nil
	}
	p, w := ms(a.Published), titleWindow.Milliseconds()
	err = in.s.byTitle.QueryRowContext(in.ctx, a.TitleKey, p-w, p+w).Scan(&f.id, &f.hash, &f.published)
	if errors.Is(err, sql.ErrNoRows) {
		return f, false, nil
	}
	if err != nil {
		return f, false, fmt.Errorf("find by title: %w", err)
	}
	generic, err := in.titleReused(a.TitleKey, key)
	if err != nil || generic {
		return found{}, false, err
	}
	return f, true, nil
}

// titleReused reports whether a title is generic because a source reuses
// it: this source carries another item (a different ItemKey) with it, or
// any source carries two different articles with it ("Morning briefing:
// what you need to know"). The rows are few: articles sharing one TitleKey.
func (in *ingester) titleReused(titleKey, key string) (_ bool, err error) {
	rows, err := in.s.titleReused.QueryContext(in.ctx, titleKey)
	if err != nil {
		return false, fmt.Errorf("check title reuse: %w", err)
	}
	defer closeRows(rows, &err)
	perSource := make(map[int64]int64) // source -> an article it carries with this title
	for rows.Next() {
		var src, art int64
		var k string
		if err := rows.Scan(&src, &k, &art); err != nil {
			return false, fmt.Errorf("check title reuse: %w", err)
		}
		if src == in.sourceID && k != key {
			return true, nil
		}
		if prev, ok := perSource[src]; ok && prev != art {
			return true, nil
		}
		perSource[src] = art
	}
	return false, nil
}

// addTags adds tags to the article (a union); grew reports whether any was new.
func (in *ingester) addTags(id int64, tags []string) (grew bool, err error) {
	for _, t := range tags {
		if t == "" {
			continue
		}
		tid, err := in.tags.id(t)
		if err != nil {
			return false, err
		}
		r, err := in.s.insArticleTag.ExecContext(in.ctx, id, tid)
		if err != nil {
			return false, fmt.Errorf("tag %q: %w", t, err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return false, fmt.Errorf("tag %q: %w", t, err)
		}
		grew = grew || n > 0
	}
	return grew, nil
}
