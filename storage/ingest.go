package storage

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/dedupe"
)

// ingester holds one Ingest transaction's statements and state. Lookups
// are prefetched for the whole feed (one query each for item keys, links,
// titles and the found articles' tags) and kept current as items are
// stored, so a new item costs two statements and a new feed's tags go in
// with one multi-row insert.
type ingester struct {
	ctx      context.Context
	tx       *sql.Tx
	sourceID int64
	now      int64
	s        stmts  // tx-bound copies of DB.st
	st       *stmts // DB.st itself, for its sized statements
	known    *knownKeys
	tags     tagResolver
	generic  map[string]bool // TitleKeys this batch uses for more than one ItemKey
	res      *feeds.IngestResult
	changed  map[int64]bool
	content  bool // something readers see changed: an article, a carriage, tags, categories

	carried  map[string]carriage      // item key -> what this source carries under it
	byLink   map[string]int64         // link -> lowest article id
	byTitle  map[string][]titleHit    // title key -> articles, ascending id
	articles map[int64]articleInfo    // every article met so far
	tagsOf   map[int64]map[int64]bool // article -> tag ids, for articles met so far
	newTags  []int64                  // (article id, tag id) pairs of new articles
	newTerms []any                    // (article id, terms) rows of new and updated articles
	termsOf  map[int64][]string       // article -> key terms, for articles this batch wrote
	newCarr  []any                    // queued carriage rows, carriageCols values each
	queued   map[string]int           // item key -> index of its row in newCarr
	uses     map[int64]int64          // tag id -> article_tags rows this batch added
	names    map[int64]string         // tag id -> name, for every tag id in tagsOf
	bodies   map[int64]string         // article -> opening, for articles this batch inserted
}

type carriage struct {
	article int64
	hash    string // what this source sent last time
}

type titleHit struct{ id, published int64 }

type articleInfo struct {
	published int64
	hash      string
	cats      string // stored categories, joined
	titleKey  string // as stored
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
// changed are in Changed and their related list is marked pending. A found
// article's Categories become the union of the stored and the sent ones
// (capped; see cleanCategories).
//
// Generation (the content generation) is bumped only when the batch changed
// what readers see: an article, a carriage, tags or categories; a batch of
// unchanged duplicates only bumps StateGeneration.
func (db *DB) Ingest(ctx context.Context, source string, st feeds.SourceState, arts []feeds.Article, now time.Time) (feeds.IngestResult, error) {
	if source == "" {
		return feeds.IngestResult{}, errors.New("ingest: source without a name")
	}
	st.Name = source
	// Work that needs no transaction is done before taking the writer,
	// which every feed waits for in turn.
	for i := range arts {
		arts[i].Categories = cleanCategories(arts[i].Categories)
	}
	var res feeds.IngestResult
	var pending map[string]int64
	seq, err := db.writeGrouped(ctx, func(ctx context.Context, tx *sql.Tx) (bool, error) {
		res = feeds.IngestResult{}
		in := &ingester{ctx: ctx, tx: tx, now: ms(now), res: &res, changed: make(map[int64]bool),
			carried: make(map[string]carriage), byLink: make(map[string]int64),
			byTitle: make(map[string][]titleHit), articles: make(map[int64]articleInfo),
			tagsOf: make(map[int64]map[int64]bool), uses: make(map[int64]int64),
			names: make(map[int64]string), bodies: make(map[int64]string)}
		in.bind(db.st)
		in.known = &db.known
		in.tags = tagResolver{ctx: ctx, cache: &db.tags, sel: in.s.tagID, ins: in.s.insTag}
		if err := in.s.upsertState.QueryRowContext(ctx, stateArgs(st)...).Scan(&in.sourceID); err != nil {
			return false, fmt.Errorf("save state: %w", err)
		}
		in.generic = batchGeneric(arts)
		if err := in.prefetch(arts); err != nil {
			return false, err
		}
		for i := range arts {
			if err := in.article(&arts[i]); err != nil {
				return false, fmt.Errorf("item %q: %w", arts[i].ItemKey, err)
			}
		}
		if err := in.flushCarriages(); err != nil {
			return false, err
		}
		if err := in.flushTags(); err != nil {
			return false, err
		}
		if err := in.flushTerms(); err != nil {
			return false, err
		}
		if err := addUses(ctx, tx, in.st.addUses, in.uses); err != nil {
			return false, err
		}
		if res.New > 0 {
			if _, err := in.s.addArticles.ExecContext(ctx, res.New); err != nil {
				return false, fmt.Errorf("count articles: %w", err)
			}
		}
		pending = in.tags.pending
		if err := in.describe(); err != nil {
			return false, err
		}
		return in.content, nil
	})
	if err != nil {
		return feeds.IngestResult{}, fmt.Errorf("ingest %s: %w", source, err)
	}
	db.tags.merge(pending)
	res.Seq = seq
	return res, nil
}

// bind makes transaction-bound copies of the prepared statements; on the
// single write connection this reuses them without preparing again.
func (in *ingester) bind(s *stmts) {
	in.st = s
	b := func(st *sql.Stmt) *sql.Stmt { return in.tx.StmtContext(in.ctx, st) }
	in.s = stmts{
		titleReused: b(s.titleReused), insArticle: b(s.insArticle), updArticle: b(s.updArticle),
		clearRelated: b(s.clearRelated), updCarriage: b(s.updCarriage),
		insArticleTag: b(s.insArticleTag), tagID: b(s.tagID), insTag: b(s.insTag),
		upsertState: b(s.upsertState), articleTags: b(s.articleTags), setCategories: b(s.setCategories),
		addArticles: b(s.addArticles), byHead: b(s.byHead), bodyOf: b(s.bodyOf),
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

// titleCandidate reports whether a title is worth comparing (dedupe.Match
// decides whether it names a story alone or needs the body's word).
func (in *ingester) titleCandidate(tk string) bool {
	return hasWords(tk, dedupe.MinWords)
}

// hasWords reports whether s has at least n words (as strings.Fields
// splits them), without building them: it runs for every item.
func hasWords(s string, n int) bool {
	inWord := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			inWord = false
		} else if !inWord {
			inWord = true
			if n--; n == 0 {
				return true
			}
		}
	}
	return n <= 0
}

// prefetch loads, for the whole batch, the carriages of its item keys, the
// articles with its links and titles, and the tags of the articles found.
func (in *ingester) prefetch(arts []feeds.Article) error {
	if err := in.known.sync(in.ctx, in.tx); err != nil {
		return err
	}
	// Only keys the store may hold are looked up (see knownKeys).
	var keys, links, titles []any
	seen := make(map[[2]string]bool)
	add := func(list *[]any, kind byte, source int64, v string) {
		k := [2]string{string(rune(kind)), v}
		if v != "" && !seen[k] && in.known.mayHave(kind, source, v) {
			seen[k] = true
			*list = append(*list, v)
		}
	}
	for i := range arts {
		add(&keys, keyItem, in.sourceID, itemKey(&arts[i]))
	}
	err := in.st.byKey.query(in.ctx, in.tx, []any{in.sourceID}, keys, func(rows *sql.Rows) error {
		var k string
		var c carriage
		var ai articleInfo
		if err := rows.Scan(&k, &c.article, &c.hash, &ai.hash, &ai.published, &ai.cats, &ai.titleKey); err != nil {
			return err
		}
		in.carried[k], in.articles[c.article] = c, ai
		return nil
	})
	if err != nil {
		return fmt.Errorf("find by item key: %w", err)
	}
	for i := range arts {
		if _, ok := in.carried[itemKey(&arts[i])]; ok {
			continue
		}
		add(&links, keyLink, 0, arts[i].LinkKey)
		if in.titleCandidate(arts[i].TitleKey) {
			add(&titles, keyTitle, 0, arts[i].TitleKey)
		}
	}
	// Each article's own link, and the links it learned (article_links).
	byLink := func(rows *sql.Rows) error {
		var l string
		var id int64
		var ai articleInfo
		if err := rows.Scan(&l, &id, &ai.hash, &ai.published, &ai.cats, &ai.titleKey); err != nil {
			return err
		}
		if old, ok := in.byLink[l]; !ok || id < old {
			in.byLink[l] = id
		}
		in.articles[id] = ai
		return nil
	}
	for _, q := range []*sized{in.st.byLink, in.st.byPastLink} {
		if err = q.query(in.ctx, in.tx, nil, links, byLink); err != nil {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("find by link: %w", err)
	}
	// Titles: each article's own title key, and the other titles merges
	// taught it (article_titles).
	byTitle := func(rows *sql.Rows) error {
		var tk string
		var id int64
		var ai articleInfo
		if err := rows.Scan(&tk, &id, &ai.hash, &ai.published, &ai.cats, &ai.titleKey); err != nil {
			return err
		}
		if !hasHit(in.byTitle[tk], id) {
			in.byTitle[tk] = append(in.byTitle[tk], titleHit{id, ai.published})
		}
		in.articles[id] = ai
		return nil
	}
	for _, q := range []*sized{in.st.byTitle, in.st.byPastTitle} {
		if err := q.query(in.ctx, in.tx, nil, titles, byTitle); err != nil {
			return fmt.Errorf("find by title: %w", err)
		}
	}
	for _, hits := range in.byTitle {
		slices.SortFunc(hits, func(a, b titleHit) int { return cmp.Compare(a.id, b.id) })
	}
	ids := make([]any, 0, len(in.articles))
	for id := range in.articles {
		ids = append(ids, id)
	}
	err = in.st.tagsOf.query(in.ctx, in.tx, nil, ids, func(rows *sql.Rows) error {
		var id, tid int64
		var name string
		if err := rows.Scan(&id, &tid, &name); err != nil {
			return err
		}
		in.tagSet(id)[tid] = true
		in.names[tid] = name
		return nil
	})
	if err != nil {
		return fmt.Errorf("tags of found articles: %w", err)
	}
	for id := range in.articles {
		in.tagSet(id) // an article without tags has an empty, known set
	}
	return nil
}

func (in *ingester) tagSet(id int64) map[int64]bool {
	m, ok := in.tagsOf[id]
	if !ok {
		m = make(map[int64]bool)
		in.tagsOf[id] = m
	}
	return m
}

func (in *ingester) article(a *feeds.Article) error {
	key := itemKey(a)
	if a.Published.IsZero() {
		a.Published = fromMS(in.now)
	}
	c, carried := in.carried[key]
	id, ok := c.article, carried
	rule := dedupe.RuleItem
	if !ok {
		var err error
		if id, rule, ok, err = in.lookup(a, key); err != nil {
			return err
		}
	}
	textChanged := false
	cats := a.Categories // cleaned by Ingest
	if !ok {
		first := in.now
		if !a.FirstSeen.IsZero() {
			first = ms(a.FirstSeen)
		}
		joined := strings.Join(cats, "\n")
		// Exec and the rowid rather than RETURNING: no result rows to
		// step through, scan and reset (a tenth of the insert's cost).
		r, err := in.s.insArticle.ExecContext(in.ctx, ms(a.Published), first, nullMS(a.Updated),
			a.ContentHash, a.GUID, a.Link, a.TitleKey, a.Title, a.Author, a.Summary, a.Content, joined, a.LinkKey)
		if err == nil {
			id, err = r.LastInsertId()
		}
		if err != nil {
			return fmt.Errorf("insert article: %w", err)
		}
		in.articles[id] = articleInfo{published: ms(a.Published), hash: a.ContentHash, cats: joined, titleKey: a.TitleKey}
		in.queueTerms(id, a.Terms)
		in.known.add(keyLink, 0, a.LinkKey)
		in.known.add(keyTitle, 0, a.TitleKey)
		in.tagSet(id)
		if _, dup := in.byLink[a.LinkKey]; !dup && a.LinkKey != "" {
			in.byLink[a.LinkKey] = id
		}
		if in.titleCandidate(a.TitleKey) {
			in.byTitle[a.TitleKey] = append(in.byTitle[a.TitleKey], titleHit{id, ms(a.Published)})
			in.bodies[id] = opening(a)
		}
	} else if carried && c.hash != a.ContentHash {
		if info := in.articles[id]; info.hash != a.ContentHash {
			upd := a.Updated
			if upd.IsZero() {
				upd = fromMS(in.now)
			}
			if _, err := in.s.updArticle.ExecContext(in.ctx, ms(upd), a.ContentHash, a.TitleKey,
				a.Title, a.Author, a.Summary, a.Content, id); err != nil {
				return fmt.Errorf("update article %d: %w", id, err)
			}
			if _, err := in.s.clearRelated.ExecContext(in.ctx, id); err != nil {
				return fmt.Errorf("mark related pending: %w", err)
			}
			info.hash = a.ContentHash
			info.titleKey = a.TitleKey
			in.queueTerms(id, a.Terms)
			in.known.add(keyTitle, 0, a.TitleKey)
			in.articles[id] = info
			textChanged = true
		}
		if err := in.updateCarriage(key, a.ContentHash); err != nil {
			return err
		}
		in.carried[key] = carriage{article: id, hash: a.ContentHash}
	}
	if !carried {
		in.queueCarriage(key, id, rule, a)
		in.carried[key] = carriage{article: id, hash: a.ContentHash}
	}
	if ok {
		if err := in.mergeCategories(id, cats); err != nil {
			return err
		}
		if err := in.rememberTitle(id, a.TitleKey); err != nil {
			return err
		}
		if err := in.rememberLink(id, a.LinkKey); err != nil {
			return err
		}
	}
	grew, err := in.addTags(id, a.Tags, !ok)
	if err != nil {
		return err
	}
	if !ok || textChanged || grew || !carried {
		in.content = true
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

// describe fills res.Described from what the batch wrote: every changed
// article with its final title key, tag set and key terms (read for the
// articles found again whose text did not change: a grown tag set).
func (in *ingester) describe() error {
	if len(in.res.Changed) == 0 {
		return nil
	}
	if err := in.loadTerms(); err != nil {
		return err
	}
	in.res.Described = make([]feeds.IndexEntry, 0, len(in.res.Changed))
	for _, id := range in.res.Changed {
		info, ok := in.articles[id]
		if !ok {
			continue
		}
		terms := in.termsOf[id]
		tags := make([]string, 0, len(in.tagsOf[id]))
		for tid := range in.tagsOf[id] {
			name, ok := in.names[tid]
			if !ok {
				break // cannot happen: every tag id comes with its name
			}
			tags = append(tags, name)
		}
		if len(tags) < len(in.tagsOf[id]) {
			continue
		}
		slices.Sort(tags)
		in.res.Described = append(in.res.Described, feeds.IndexEntry{ID: id,
			Published: fromMS(info.published), TitleKey: info.titleKey, Tags: tags, Terms: terms})
	}
	return nil
}

// loadTerms reads the stored key terms of the changed articles this batch
// did not write them for.
func (in *ingester) loadTerms() (err error) {
	var ids []int64
	for _, id := range in.res.Changed {
		if _, ok := in.termsOf[id]; !ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if in.termsOf == nil {
		in.termsOf = make(map[int64][]string, len(ids))
	}
	err = chunks(ids, func(part []int64) (err error) {
		rows, err := in.tx.QueryContext(in.ctx, `SELECT article_id, terms FROM article_terms WHERE article_id IN (`+
			placeholders(len(part))+`)`, int64Args(part)...)
		if err != nil {
			return err
		}
		defer closeRows(rows, &err)
		for rows.Next() {
			var id int64
			var terms string
			if err := rows.Scan(&id, &terms); err != nil {
				return err
			}
			in.termsOf[id] = splitTerms(terms)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("terms of found articles: %w", err)
	}
	return nil
}

// rememberTitle records a title key a found article was not known by, so a
// later copy under that title (and another link) still finds it.
func (in *ingester) rememberTitle(id int64, titleKey string) error {
	if !in.titleCandidate(titleKey) || hasHit(in.byTitle[titleKey], id) {
		return nil
	}
	published := in.articles[id].published
	if _, err := in.tx.ExecContext(in.ctx, `INSERT OR IGNORE INTO article_titles (title_key, article_id, published)
		VALUES (?, ?, ?)`, titleKey, id, published); err != nil {
		return fmt.Errorf("remember title of %d: %w", id, err)
	}
	in.known.add(keyTitle, 0, titleKey)
	in.byTitle[titleKey] = append(in.byTitle[titleKey], titleHit{id, published})
	return nil
}

// rememberLink records a link a found article was not known by, so a later
// copy under that link (and another title) still finds it. A link that
// already names an article is left to it: lookup found this one by title
// only when the link named none.
func (in *ingester) rememberLink(id int64, link string) error {
	if link == "" {
		return nil
	}
	if _, known := in.byLink[link]; known {
		return nil
	}
	if _, err := in.tx.ExecContext(in.ctx, `INSERT OR IGNORE INTO article_links (link, article_id) VALUES (?, ?)`, link, id); err != nil {
		return fmt.Errorf("remember link of %d: %w", id, err)
	}
	in.known.add(keyLink, 0, link)
	in.byLink[link] = id
	return nil
}

// hasHit reports whether hits names article id.
func hasHit(hits []titleHit, id int64) bool {
	return slices.ContainsFunc(hits, func(h titleHit) bool { return h.id == id })
}

// mergeCategories adds the categories a found article lacks (up to the cap).
func (in *ingester) mergeCategories(id int64, cats []string) error {
	info := in.articles[id]
	merged, changed := unionCategories(splitCategories(info.cats), cats)
	if !changed {
		return nil
	}
	info.cats = strings.Join(merged, "\n")
	if _, err := in.s.setCategories.ExecContext(in.ctx, info.cats, id); err != nil {
		return fmt.Errorf("categories of %d: %w", id, err)
	}
	in.articles[id] = info
	in.content = true
	return nil
}

// lookup applies dedupe rules (b) and (c) and returns the rule that found
// the article; (a) is the carried map. When the link names one stored
// article and the title another, the item shows they are one story (a
// re-titled copy and a same-title copy under another link were stored
// before the original that links them): the newer row is merged into the
// older.
func (in *ingester) lookup(a *feeds.Article, key string) (int64, dedupe.Rule, bool, error) {
	if id, ok := in.byLink[a.LinkKey]; ok && a.LinkKey != "" {
		other, _, err := in.titleMatch(a, key, id)
		if err != nil || other == 0 {
			return id, dedupe.RuleLink, true, err
		}
		if err := in.merge(min(id, other), max(id, other)); err != nil {
			return 0, 0, false, err
		}
		return min(id, other), dedupe.RuleLink, true, nil
	}
	id, rule, err := in.titleMatch(a, key, 0)
	return id, rule, id != 0, err
}

// titleMatch returns the article other than except that dedupe.Match
// finds for a by its title (the same title key, then the same head), or
// 0, with its tags loaded.
func (in *ingester) titleMatch(a *feeds.Article, key string, except int64) (int64, dedupe.Rule, error) {
	if !in.titleCandidate(a.TitleKey) {
		return 0, 0, nil
	}
	item := dedupe.Side{TitleKey: a.TitleKey, Published: a.Published}
	reused, checked := false, false
	lz := dedupe.Lazy{ItemBody: opening(a), Generic: func() (bool, error) {
		if in.generic[a.TitleKey] {
			return true, nil
		}
		if !checked {
			r, err := in.titleReused(a.TitleKey, key)
			if err != nil {
				return false, err
			}
			reused, checked = r, true
		}
		return reused, nil
	}}
	try := func(id int64, tk string, published int64) (int64, dedupe.Rule, error) {
		if id == except {
			return 0, 0, nil
		}
		lz.Body = func() (string, error) { return in.body(id) }
		rule, ok, err := dedupe.Match(item, dedupe.Side{TitleKey: tk, Published: fromMS(published)}, lz)
		if err != nil || !ok {
			return 0, 0, err
		}
		if _, ok := in.tagsOf[id]; !ok {
			if err := in.loadTags(id); err != nil {
				return 0, 0, err
			}
		}
		return id, rule, nil
	}
	for _, h := range in.byTitle[a.TitleKey] {
		if id, rule, err := try(h.id, a.TitleKey, h.published); err != nil || id != 0 {
			return id, rule, err
		}
	}
	head := dedupe.Head(a.TitleKey)
	if head == "" || !in.known.mayHave(keyHead, 0, head) {
		return 0, 0, nil
	}
	hits, err := in.byHead(head, a.TitleKey)
	if err != nil {
		return 0, 0, err
	}
	for _, id := range hits {
		info := in.articles[id]
		if id, rule, err := try(id, info.titleKey, info.published); err != nil || id != 0 {
			return id, rule, err
		}
	}
	return 0, 0, nil
}

// byHead returns the articles whose title key starts with head, but for
// those under exactly titleKey (looked up already), ascending by id.
func (in *ingester) byHead(head, titleKey string) (_ []int64, err error) {
	rows, err := in.s.byHead.QueryContext(in.ctx, head)
	if err != nil {
		return nil, fmt.Errorf("find by title head: %w", err)
	}
	defer closeRows(rows, &err)
	var ids []int64
	for rows.Next() {
		var id int64
		var ai articleInfo
		if err := rows.Scan(&id, &ai.hash, &ai.published, &ai.cats, &ai.titleKey); err != nil {
			return nil, fmt.Errorf("find by title head: %w", err)
		}
		if ai.titleKey == titleKey {
			continue
		}
		if _, ok := in.articles[id]; !ok {
			in.articles[id] = ai
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// body is the opening of article id, as dedupe compares bodies.
func (in *ingester) body(id int64) (string, error) {
	if b, ok := in.bodies[id]; ok {
		return b, nil
	}
	var b string
	if err := in.s.bodyOf.QueryRowContext(in.ctx, id).Scan(&b); err != nil {
		return "", fmt.Errorf("body of %d: %w", id, err)
	}
	in.bodies[id] = b
	return b, nil
}

// opening is what dedupe compares of an article's text: its summary, else
// its content, cut to a bound (BodySimilarity reads the first words only).
func opening(a *feeds.Article) string {
	b := a.Summary
	if b == "" {
		b = a.Content
	}
	return b[:min(len(b), maxOpening)]
}

// maxOpening bounds the bytes of an opening compared.
const maxOpening = 4096

// merge makes article loser part of keep: its carriages, tags, titles and
// categories move over, its row is deleted (its related list and its place
// in others' lists go with it) and it is reported in res.Merged.
func (in *ingester) merge(keep, loser int64) error {
	if err := in.flushCarriages(); err != nil {
		return err
	}
	if err := in.flushTags(); err != nil {
		return err
	}
	if err := in.flushTerms(); err != nil {
		return err
	}
	for _, id := range []int64{keep, loser} {
		if _, ok := in.tagsOf[id]; !ok {
			if err := in.loadTags(id); err != nil {
				return err
			}
		}
	}
	set := in.tagSet(keep)
	for tid := range in.tagsOf[loser] {
		if set[tid] {
			continue
		}
		set[tid] = true
		if _, err := in.s.insArticleTag.ExecContext(in.ctx, keep, tid); err != nil {
			return fmt.Errorf("merge %d into %d: tags: %w", loser, keep, err)
		}
		in.uses[tid]++ // loser's rows are counted down when it is deleted
	}
	kept := in.articles[keep]
	for _, q := range []struct{ what, sql string }{
		// The loser's creator kept its item in the loser's row: copied first.
		{"carriages", `UPDATE carriages SET article_id = ?1, published = ?3, creator = 0,
			rule = CASE creator WHEN 1 THEN 'merge' ELSE rule END,
			guid = CASE creator WHEN 1 THEN (SELECT guid FROM articles WHERE id = ?2) ELSE guid END,
			link = CASE creator WHEN 1 THEN (SELECT link FROM articles WHERE id = ?2) ELSE link END,
			title = CASE creator WHEN 1 THEN (SELECT title FROM articles WHERE id = ?2) ELSE title END
			WHERE article_id = ?2`},
		{"titles", `INSERT OR IGNORE INTO article_titles (title_key, article_id, published)
			SELECT title_key, ?1, ?3 FROM article_titles WHERE article_id = ?2
			UNION SELECT title_key, ?1, ?3 FROM articles WHERE id = ?2 AND title_key != ''`},
		{"links", `INSERT OR IGNORE INTO article_links (link, article_id)
			SELECT link, ?1 FROM article_links WHERE article_id = ?2
			UNION SELECT link_key, ?1 FROM articles WHERE id = ?2 AND link_key != ''`},
		{"aliases", `UPDATE article_aliases SET article_id = ?1 WHERE article_id = ?2`},
		{"alias", `INSERT OR REPLACE INTO article_aliases (old_id, article_id) VALUES (?2, ?1)`},
	} {
		if _, err := in.tx.ExecContext(in.ctx, q.sql, keep, loser, kept.published); err != nil {
			return fmt.Errorf("merge %d into %d: %s: %w", loser, keep, q.what, err)
		}
	}
	// The loser's tags (counted down by their trigger), titles, links and
	// list go with its row.
	if _, err := deleteArticles(in.ctx, in.tx, []int64{loser}); err != nil {
		return fmt.Errorf("merge %d into %d: %w", loser, keep, err)
	}
	if err := in.mergeCategories(keep, splitCategories(in.articles[loser].cats)); err != nil {
		return err
	}
	if _, err := in.s.clearRelated.ExecContext(in.ctx, keep); err != nil {
		return fmt.Errorf("mark related pending: %w", err)
	}
	// What this batch knows of loser now means keep.
	for k, c := range in.carried {
		if c.article == loser {
			c.article = keep
			in.carried[k] = c
		}
	}
	for l, id := range in.byLink {
		if id == loser {
			in.byLink[l] = keep
		}
	}
	for tk, hits := range in.byTitle {
		if i := slices.IndexFunc(hits, func(h titleHit) bool { return h.id == loser }); i >= 0 {
			hits = slices.Delete(hits, i, i+1)
			if !hasHit(hits, keep) {
				hits = append(hits, titleHit{keep, kept.published})
				slices.SortFunc(hits, func(a, b titleHit) int { return cmp.Compare(a.id, b.id) })
			}
			in.byTitle[tk] = hits
		}
	}
	delete(in.articles, loser)
	delete(in.tagsOf, loser)
	delete(in.termsOf, loser)
	if in.changed[loser] {
		delete(in.changed, loser)
		in.res.Changed = slices.DeleteFunc(in.res.Changed, func(id int64) bool { return id == loser })
	}
	if !in.changed[keep] {
		in.changed[keep] = true
		in.res.Changed = append(in.res.Changed, keep)
	}
	in.res.Merged = append(in.res.Merged, loser)
	in.content = true
	return nil
}

// loadTags reads one article's tag ids into tagsOf.
func (in *ingester) loadTags(id int64) (err error) {
	set := in.tagSet(id)
	rows, err := in.s.articleTags.QueryContext(in.ctx, id)
	if err != nil {
		return fmt.Errorf("tags of %d: %w", id, err)
	}
	defer closeRows(rows, &err)
	for rows.Next() {
		var tid int64
		var name string
		if err := rows.Scan(&tid, &name); err != nil {
			return fmt.Errorf("tags of %d: %w", id, err)
		}
		set[tid] = true
		in.names[tid] = name
	}
	return nil
}

// titleReused reports whether a title is generic because a source reuses
// it: this source carries another item (a different ItemKey) with it, or
// any source carries two different articles with it ("Morning briefing:
// what you need to know"). The rows are few: articles sharing one TitleKey.
func (in *ingester) titleReused(titleKey, key string) (_ bool, err error) {
	if err := in.flushCarriages(); err != nil { // the query must see this batch's carriages
		return false, err
	}
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

// addTags adds tags to the article (a union); grew reports whether any was
// new. A new article's tags are queued for one multi-row insert.
func (in *ingester) addTags(id int64, tags []string, isNew bool) (grew bool, err error) {
	set := in.tagSet(id)
	for _, t := range tags {
		if t == "" {
			continue
		}
		tid, err := in.tags.id(t)
		if err != nil {
			return false, err
		}
		if set[tid] {
			continue
		}
		set[tid] = true
		in.names[tid] = t
		grew = true
		if isNew { // a new article: its set is complete, every pair goes in
			in.newTags = append(in.newTags, id, tid)
			in.uses[tid]++
			continue
		}
		r, err := in.s.insArticleTag.ExecContext(in.ctx, id, tid)
		if err != nil {
			return false, fmt.Errorf("tag %q: %w", t, err)
		}
		if n, err := r.RowsAffected(); err != nil {
			return false, fmt.Errorf("tag %q: %w", t, err)
		} else if n > 0 {
			in.uses[tid]++
		}
	}
	return grew, nil
}

// carriageCols is the number of values of one queued carriage row.
const carriageCols = 11

// queueCarriage queues a new carriage for flushCarriages: a feed's
// carriages go in with one multi-row statement instead of one each.
// The carriage keeps the item as sent and the rule that joined it.
func (in *ingester) queueCarriage(key string, article int64, rule dedupe.Rule, a *feeds.Article) {
	if in.queued == nil {
		in.queued = make(map[string]int)
	}
	in.queued[key] = len(in.newCarr)
	in.known.add(keyItem, in.sourceID, key)
	guid, link, title := a.GUID, a.Link, a.Title
	if rule == dedupe.RuleNew { // the article's own: not written twice (see CarriedFor)
		guid, link, title = "", "", ""
	}
	in.newCarr = append(in.newCarr, in.sourceID, key, article, in.articles[article].published, in.now,
		rule == dedupe.RuleNew, rule.String(), guid, link, title, a.ContentHash)
}

// updateCarriage records what the source sent last under key, in the queue
// when the carriage is not written yet.
func (in *ingester) updateCarriage(key, hash string) error {
	if i, ok := in.queued[key]; ok {
		in.newCarr[i+carriageCols-1] = hash
		return nil
	}
	if _, err := in.s.updCarriage.ExecContext(in.ctx, hash, in.sourceID, key); err != nil {
		return fmt.Errorf("update carriage: %w", err)
	}
	return nil
}

// flushCarriages inserts the queued carriages, many rows a statement.
func (in *ingester) flushCarriages() error {
	if err := in.st.insCarriages.exec(in.ctx, in.tx, in.newCarr, carriageCols); err != nil {
		return fmt.Errorf("insert carriages: %w", err)
	}
	in.newCarr, in.queued = in.newCarr[:0], nil
	return nil
}

// queueTerms queues an article's key terms for flushTerms, replacing
// those it had.
func (in *ingester) queueTerms(id int64, terms []string) {
	if in.termsOf == nil {
		in.termsOf = make(map[int64][]string)
	}
	in.termsOf[id] = terms
	in.newTerms = append(in.newTerms, id, strings.Join(terms, "\n"))
}

// flushTerms writes the queued key terms, many rows a statement.
func (in *ingester) flushTerms() error {
	if err := in.st.insTerms.exec(in.ctx, in.tx, in.newTerms, 2); err != nil {
		return fmt.Errorf("insert terms: %w", err)
	}
	in.newTerms = in.newTerms[:0]
	return nil
}

// flushTags inserts the queued tags of new articles, many rows a statement.
func (in *ingester) flushTags() error {
	if err := in.st.insTags.exec(in.ctx, in.tx, int64Args(in.newTags), 2); err != nil {
		return fmt.Errorf("insert tags: %w", err)
	}
	in.newTags = in.newTags[:0]
	return nil
}
