// Package normalize turns a parsed feed item into the article feedloom keeps:
// a canonical link (so the same story from different sources and campaigns
// dedupes), plain-text title and author, sane dates, and summary and content
// sanitised so that nothing a feed sends can run in a reader or on our pages.
// It also derives the per-source item keys the store deduplicates by.
//
// Everything here is a pure function of its input (and the clock value the
// caller passes), so the same item always normalises to the same article.
package normalize

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/normalize/internal/fastsan"
	"github.com/microcosm-cc/bluemonday"
)

// Date bounds. A date later than now+FutureSkew is a clock or time-zone
// error on the origin (or an attempt to stay on top of every list) and is
// replaced; a date before 1 January of MinYear (UTC) is an epoch-zero or
// two-digit-year bug (the web, and so every feed, is younger than 1990).
const (
	FutureSkew = 10 * time.Minute
	MinYear    = 1990
)

// Normalizer holds the sanitising policy, which is costly to build, so it is
// built once. It is safe for concurrent use.
type Normalizer struct {
	policy *bluemonday.Policy
}

// New builds a Normalizer.
func New() *Normalizer {
	return &Normalizer{policy: newPolicy()}
}

// Article normalises one parsed item seen at now. It fills everything but
// ID, ItemKey, Tags and Sources, which the store, ItemKeys and the tagger own.
//
// Dates: Published is the item's published date when sane (not before
// MinYear, not after now+FutureSkew), else its updated date when sane, else
// now (first seen). Updated is the item's updated date when sane and not
// before Published, else Published. FirstSeen is now. All are UTC.
func (n *Normalizer) Article(it feeds.Item, now time.Time) feeds.Article {
	return n.article(it, now, it.Outlet)
}

// article is Article, with the outlets whose names DedupeTitleKey cuts.
func (n *Normalizer) article(it feeds.Item, now time.Time, outlets ...string) feeds.Article {
	now = now.UTC()
	// Relative URLs in the text are relative to the article's page; its
	// canonical link keeps the hash free of tracking parameters and case.
	link := Link(it.Link)
	base := &fastsan.Base{Raw: link, Parse: baseURL} // parsed at most once, for both fields
	a := feeds.Article{
		GUID:      cleanGUID(it.GUID),
		Link:      link,
		Title:     Title(it.Title),
		Summary:   n.html(it.Summary, base),
		Content:   n.html(it.Content, base),
		Author:    plainLine(it.Author, MaxAuthorRunes),
		FirstSeen: now,
	}
	if a.Title == "" {
		a.Title = fallbackTitle(a)
	}
	a.LinkKey = LinkKey(link)
	a.TitleKey = DedupeTitleKey(a.Title, outlets...)
	a.Published, a.Updated = dates(it.Published, it.Updated, now)
	a.ContentHash = ContentHash(a)
	return a
}

// fallbackTitle names an untitled item: the first words of its summary or
// content, else its link.
func fallbackTitle(a feeds.Article) string {
	for _, h := range []string{a.Summary, a.Content} {
		if t := firstWords(Text(h), fallbackTitleWords); t != "" {
			return capRunes(t, MaxTitleRunes)
		}
	}
	return capRunes(a.Link, MaxTitleRunes)
}

// Dated reports whether an item says when it was published: a published
// or updated date after MinYear and not beyond MaxAhead. The scheduler
// places the undated items of a fetch below its dated ones. A date a few
// hours ahead is a clock or time-zone error, still a date (Article clamps
// it to now): it must not send an item, and its syndicated copies
// elsewhere, below the feed's oldest items and out of dedupe's window.
// "The year 2999" is no date.
func Dated(it feeds.Item, now time.Time) bool {
	has := func(t time.Time) bool {
		return !t.IsZero() && t.UTC().Year() >= MinYear && !t.After(now.Add(MaxAhead))
	}
	return has(it.Published) || has(it.Updated)
}

// MaxAhead is how far in the future a date may be and still count as one
// (time-zone errors reach 14 hours).
const MaxAhead = 24 * time.Hour

// sane reports whether t is a believable publication date at now.
func sane(t, now time.Time) bool {
	return !t.IsZero() && t.UTC().Year() >= MinYear && !t.After(now.Add(FutureSkew))
}

// dates picks Published and Updated as Article documents.
func dates(published, updated, now time.Time) (time.Time, time.Time) {
	p := now
	switch {
	case sane(published, now):
		p = published.UTC()
	case sane(updated, now):
		p = updated.UTC()
	}
	u := p
	if sane(updated, now) && updated.After(p) {
		u = updated.UTC()
	}
	return p, u
}

// ContentHash is a hex digest (128 bits of SHA-256) of what readers see of
// an article: title, link, summary, content and author. The store updates a
// kept article when it changes.
func ContentHash(a feeds.Article) string {
	h := sha256.New()
	var buf [512]byte // a copy of each field would cost an allocation as large as the field
	for _, s := range []string{a.Title, a.Link, a.Summary, a.Content, a.Author} {
		for len(s) > 0 {
			n := copy(buf[:], s)
			h.Write(buf[:n])
			s = s[n:]
		}
		h.Write([]byte{0}) // cleaned text never holds NUL
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// cleanGUID trims and cleans a guid; one longer than MaxGUIDBytes is replaced
// by "sha256:" and its digest, which stays unique and bounded.
func cleanGUID(g string) string {
	g = strings.TrimSpace(cleanText(g, true))
	if len(g) > MaxGUIDBytes {
		sum := sha256.Sum256([]byte(g))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	return g
}

// Articles normalises one fetched document's items seen at now, index for
// index, with their ItemKey set. What dedupe needs of a document is
// decided here, over all its items at once: titles are compared without
// the feed's own name, and a link the document gives to items with
// different guids and titles (a section page, a page of briefs, a blog's
// day page with an anchor a post) is no identity (see sharedLinks).
func (n *Normalizer) Articles(feed *feeds.Feed, now time.Time) []feeds.Article {
	keys := ItemKeys(feed.Items)
	arts := make([]feeds.Article, len(feed.Items))
	for i, it := range feed.Items {
		arts[i] = n.article(it, now, it.Outlet, feed.Title)
		arts[i].ItemKey = keys[i]
	}
	sharedLinks(feed.Items, arts)
	return arts
}

// sharedLinks finds the link keys one document gives to items that differ
// in both guid and title: such a link names a page, not a story. Those
// items keep their link's fragment (in Link and LinkKey) when it has one,
// and have no LinkKey when it has none, so dedupe never joins them by it.
// Links whose anchor names the item (see below) keep it whatever the
// other items say.
func sharedLinks(items []feeds.Item, arts []feeds.Article) {
	first := make(map[string]int, len(arts)) // link key -> first item
	shared := make(map[string]bool)
	for i := range arts {
		k := arts[i].LinkKey
		if k == "" {
			continue
		}
		j, ok := first[k]
		if !ok {
			first[k] = i
			continue
		}
		if arts[j].GUID != arts[i].GUID && arts[j].TitleKey != arts[i].TitleKey {
			shared[k] = true
		}
	}
	for i := range arts {
		a := &arts[i]
		raw := strings.TrimSpace(items[i].Link)
		// A permalink guid that is the link with its anchor says the
		// anchor names the item (a post on a day page): it stays too.
		named := strings.IndexByte(raw, '#') >= 0 && strings.TrimSpace(items[i].GUID) == raw
		if !shared[a.LinkKey] && !named {
			continue
		}
		a.LinkKey = ""
		if u, err := url.Parse(raw); err == nil && u.Fragment != "" && a.Link != "" {
			a.Link += "#" + u.EscapedFragment()
			a.LinkKey = LinkKey(a.Link)
		}
		a.ContentHash = ContentHash(*a)
	}
}
