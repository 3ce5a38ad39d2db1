// Package feeds is feedloom's domain vocabulary: the sources an admin
// configures, the items a feed carries, the articles the store keeps, the
// curated outputs it publishes, and the errors callers branch on.
//
// It imports nothing of feedloom's own; every other package points here.
package feeds

import (
	"errors"
	"strings"
	"time"
)

// ErrNotFound is returned when an article, tag, output or source does not exist.
var ErrNotFound = errors.New("not found")

// ErrStoreFault marks a failure of the local store itself (disk full,
// read-only, I/O error, corruption): the machine's fault, not that of the
// source being fetched or the request being served. The scheduler does not
// back a source off for it; errors.Is finds it in the store's errors.
var ErrStoreFault = errors.New("local store failure")

// Source is one feed an admin configured.
type Source struct {
	Name     string   // unique, [a-z0-9-]
	URL      string   // absolute http(s) or file URL
	Title    string   // display name; empty means Name
	Tags     []string // given to every article of this source
	Schedule string   // effective cron spec (the source's own or fetch.schedule)
}

// DisplayTitle is the name people see for the source.
func (s Source) DisplayTitle() string {
	if s.Title != "" {
		return s.Title
	}
	return s.Name
}

// Filter selects articles for an output, a tag page or the built-in "all".
type Filter struct {
	TagsAny  []string // at least one of these (empty: no constraint)
	TagsAll  []string // all of these
	TagsNone []string // none of these
	Sources  []string // only articles one of these sources carried (empty: all)
	Limit    int      // at most this many, newest first (0: a default of 50)
}

// Output is a curated feed published at /feeds/NAME.atom|.rss|.json.
type Output struct {
	Name        string
	Title       string
	Description string
	Filter
}

// TagRule adds Tag to an article when any of the words or phrases in Any
// occurs, as whole words and case-insensitively, in one of the fields In.
type TagRule struct {
	Tag string
	Any []string
	In  []string // subset of "title", "summary", "content"; empty means all three
}

// Feed is one fetched document as parsed, before normalisation.
type Feed struct {
	Title    string
	Link     string        // the site's home page, absolute when known
	Format   string        // "rss 2.0", "atom 1.0", "json 1.1", ...
	Language string        // the feed's declared language (RSS language, xml:lang, JSON language), "" when none
	TTL      time.Duration // RSS <ttl>, 0 when absent
	Items    []Item
}

// Item is one entry of a parsed feed, as the feed said it. Links are
// absolute (resolved against xml:base and the feed's URL); text is raw.
type Item struct {
	GUID       string
	Link       string
	Title      string // may hold entities or HTML
	Summary    string // raw HTML
	Content    string // raw HTML
	Author     string
	Published  time.Time // zero when missing or unparseable
	Updated    time.Time // zero when missing or unparseable
	Categories []string  // as the feed wrote them (RSS category, Atom term, JSON tags, dc:subject)
	// Outlet is the publisher an aggregator names as the item's origin
	// (Google News's <source>), so that its name can be cut from the title.
	Outlet string
}

// Article is one story as feedloom keeps it: normalised, sanitised, stored
// once however many sources carry it.
type Article struct {
	ID          int64  // the store's id, stable for the article's life; used in /articles/{id}
	ItemKey     string // identity inside the source that sent it (guid, else link, else title+date); input to Ingest only
	GUID        string // the guid/id the first carrying source gave it
	Link        string // canonical link to the original
	LinkKey     string // Link as dedupe compares it (normalize.LinkKey); "" when the link names no single story
	Title       string // plain text
	TitleKey    string // the title as dedupe compares it: affixes and outlet names cut, lower case, punctuation dropped
	Summary     string // sanitised HTML
	Content     string // sanitised HTML
	Author      string // plain text
	Published   time.Time
	Updated     time.Time
	FirstSeen   time.Time
	ContentHash string   // hash of what readers see; a change makes the stored row update
	Tags        []string // normalised, sorted
	Categories  []string // the feed's own categories as received, kept so `feedloom retag` can re-derive Tags
	Terms       []string // key terms found in the text (tags.auto), best first; kept apart from Tags
	Sources     []string // names of every source that carried it, first carrier first
}

// Term is one automatic key term of an article (tags.auto). Label is what
// people see, spelt as a tag ("islamic-state"); Key is what related posts
// compare: the label stemmed in the article's language, with the spellings
// outlets use for one name folded ("isil" and "daesh" are "islam-state").
type Term struct {
	Label string
	Key   string
}

// Encode is the term as Article.Terms holds it: the label, then a tab and
// the key when they differ.
func (t Term) Encode() string {
	if t.Key == t.Label || t.Key == "" {
		return t.Label
	}
	return t.Label + "\t" + t.Key
}

// DecodeTerm is Encode's inverse.
func DecodeTerm(s string) Term {
	if label, key, ok := strings.Cut(s, "\t"); ok {
		return Term{Label: label, Key: key}
	}
	return Term{Label: s, Key: s}
}

// IngestResult counts what one fetched feed did to the store.
type IngestResult struct {
	New       int
	Updated   int
	Duplicate int
	Changed   []int64 // ids of articles that are new or whose tags or text changed
	// Described describes the articles in Changed as this batch committed
	// them, so the related index need not read them back.
	Described []IndexEntry
	// Merged are articles this batch found to be copies of another stored
	// article and merged into it: they no longer exist.
	Merged []int64
	// Seq orders committed writes: a write committed later has a greater Seq.
	Seq int64
}

// IndexEntry is what the related index knows of an article.
type IndexEntry struct {
	ID        int64
	Published time.Time
	TitleKey  string
	Tags      []string // sorted
	Terms     []string // key terms, best first (tags.auto)
}

// SourceState is a source's fetch state as stored between runs.
type SourceState struct {
	Name         string
	URL          string    // the configured URL
	RedirectURL  string    // where a permanent redirect chain led; fetched instead of URL
	ConfigHash   string    // hash of the source's configuration; a change clears Gone, RedirectURL and backoff
	ETag         string    // validator from the last 200
	LastModified string    // validator from the last 200
	LastFetch    time.Time // last attempt
	LastSuccess  time.Time // last attempt that got a 200 or 304
	LastStatus   int       // HTTP status of the last attempt; 0 when there was no response
	LastError    string    // empty after a success
	Failures     int       // consecutive failed attempts
	NextAttempt  time.Time // not before this (backoff, Retry-After, max-age, ttl)
	Gone         bool      // the origin said 410; not fetched until the config changes
	ItemCount    int       // items in the last parsed document
	Language     string    // the language the last parsed document declared, "" when none
	FeedTitle    string    // the title the last parsed document gave itself (plain text, one line), "" when none
	ArticleCount int       // articles this source carried (read only)
}

// FetchURL is the URL to request: the remembered permanent redirect, else the configured one.
func (s SourceState) FetchURL() string {
	if s.RedirectURL != "" {
		return s.RedirectURL
	}
	return s.URL
}

// RelatedPost is one entry of an article's "Related posts".
type RelatedPost struct {
	ArticleID int64
	Title     string
	Link      string // the related article's original link
	Published time.Time
	Score     float64
	Shared    []string // tags the two articles share, for explaining the score
}

// TagCount is a tag with how many articles carry it.
type TagCount struct {
	Tag   string
	Count int
}

// Stats are the store's counts, as `feedloom stats` prints them.
type Stats struct {
	Sources        int   `json:"sources"`
	SourcesFailing int   `json:"sources_failing"`
	Articles       int   `json:"articles"`
	Carriages      int   `json:"carriages"`
	Tags           int   `json:"tags"`
	RelatedLists   int   `json:"related_lists"`
	DBBytes        int64 `json:"db_bytes"`
}

// Subscription is one WebSub subscriber of a feed feedloom publishes: the
// hub delivers every new version of Topic to Callback, signed with Secret
// (when not empty), until Expires.
type Subscription struct {
	Topic    string // absolute URL of one of feedloom's feed documents
	Callback string // the subscriber's absolute http(s) URL
	Secret   string // HMAC key of X-Hub-Signature; "" = deliveries unsigned
	Expires  time.Time
	Created  time.Time
}

// Upstream is feedloom's own WebSub subscription to the hub a source's
// feed advertises: the hub pushes new versions of Topic to feedloom's
// callback named by Token, signed with Secret.
type Upstream struct {
	Source    string // the source's name
	Hub       string
	Topic     string
	Token     string    // the callback's last path segment
	Secret    string    // HMAC key the hub signs pushes with
	Expires   time.Time // end of the verified lease; zero until verified
	Requested time.Time // when the subscription was last asked for
}
