// Package render turns feedloom's articles into what it publishes: Atom 1.0,
// RSS 2.0 and JSON Feed 1.1 documents, OPML 2.0 source lists and HTML pages.
//
// Every writer is a pure function of its arguments: the same data gives the
// same bytes, so the HTTP layer can derive stable ETags from the output, and
// nothing here reads the clock. Every string is made XML- and JSON-clean
// before it is written (invalid UTF-8 repaired, characters XML 1.0 forbids
// dropped, bidi overrides removed from one-line text), so hostile text from a
// feed cannot break a published document.
//
// Trust boundary: Article.Summary and Article.Content are sanitised HTML
// (feeds/normalize runs them through bluemonday before they are stored).
// This package publishes them as HTML as they are; every other field is
// treated as plain text and escaped, and links that are not absolute
// http(s) URLs are replaced by the article's page here.
package render

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

// Content types of the documents this package writes, for the HTTP layer.
const (
	ContentTypeAtom = "application/atom+xml; charset=utf-8"
	ContentTypeRSS  = "application/rss+xml; charset=utf-8"
	ContentTypeJSON = "application/feed+json; charset=utf-8"
	ContentTypeOPML = "text/x-opml; charset=utf-8"
	ContentTypeHTML = "text/html; charset=utf-8"
)

// Generator names feedloom in the documents it writes.
const (
	Generator    = "feedloom"
	GeneratorURI = "https://github.com/feedloom/feedloom"
)

// DefaultLanguage is the language declared when Site.Language is empty.
const DefaultLanguage = "en"

// Site is what every document needs to know about the installation: its
// name, where it is published, and the configured sources (to name an
// article's source and link to its feed).
type Site struct {
	Title    string
	BaseURL  string                  // absolute, e.g. "https://news.example.org/"; a missing final "/" is added
	Language string                  // BCP 47 tag for xml:lang, RSS language and HTML lang; "" means DefaultLanguage
	Sources  map[string]feeds.Source // by name
	// FeedTitles are the titles sources' feeds give themselves, by name:
	// the name shown for a source configured without a title.
	FeedTitles map[string]string
	// Hub is the URL of a WebSub hub that every feed document advertises
	// (Atom and RSS rel="hub", JSON Feed hubs) so readers can subscribe to
	// pushed updates; "" advertises none.
	Hub string
}

// Entry is one article as published in a feed, with its related posts.
type Entry struct {
	feeds.Article
	Related []feeds.RelatedPost
}

// Doc is one published feed: an output, "all", or a tag.
type Doc struct {
	// Path of the feed relative to BaseURL without extension and unescaped:
	// "feeds/all", "feeds/NAME", "tags/TAG". Each segment is path-escaped
	// here. The Atom, RSS and JSON documents live at Path+".atom" etc.
	Path string
	// Page is the path of the HTML page people see for this feed, relative
	// to BaseURL and unescaped ("tags/TAG"); "" means the site's index page.
	Page        string
	Title       string // "" means Site.Title
	Description string
	Entries     []Entry // newest first, as they are to be published
	// History links the document into its feed's RFC 5005 archive; the
	// zero value links nothing and leaves the output as it always was.
	History History
}

// History is a document's place in an RFC 5005 archived feed. Paths are
// like Doc.Path (relative to BaseURL, unescaped, without extension); the
// links are written in the document's own format. "" means no link.
type History struct {
	// Archive marks an archive document (fh:archive): its set of entries
	// will not change.
	Archive bool
	// Current is the feed's current document, linked from the pages of its
	// archive. A document that has one is part of that feed: it takes the
	// current document's feed id and advertises no WebSub hub.
	Current string
	// PrevArchive is the next older archive document: Atom and RSS
	// rel="prev-archive", JSON Feed next_url (the next page of older items).
	PrevArchive string
	// NextArchive is the next newer archive document (Atom and RSS only:
	// JSON Feed has no link back).
	NextArchive string
}

// historyNS is the namespace of RFC 5005's fh:archive element.
const historyNS = "http://purl.org/syndication/history/1.0"

// feedID is the path that identifies d's feed: an archive page is part of
// its current document's feed.
func feedID(d Doc) string {
	if d.History.Current != "" {
		return d.History.Current
	}
	return d.Path
}

// docHub is the WebSub hub d advertises: none for an archive page, which
// is not what subscribers follow.
func docHub(s Site, d Doc) string {
	if d.History.Current != "" {
		return ""
	}
	return hub(s)
}

// historyLink is one RFC 5005 link: its relation and target path.
type historyLink struct{ rel, path string }

// historyLinks are d's archive links in the order they are written.
func historyLinks(d Doc) []historyLink {
	var out []historyLink
	for _, l := range []historyLink{
		{"current", d.History.Current},
		{"prev-archive", d.History.PrevArchive},
		{"next-archive", d.History.NextArchive},
	} {
		if l.path != "" {
			out = append(out, l)
		}
	}
	return out
}

// ArticleURL is the public URL of an article's page here, BaseURL +
// "articles/ID". It is also the article's permanent entry id in every
// format: the store's id never changes, so neither does this.
func ArticleURL(s Site, id int64) string {
	return base(s) + "articles/" + strconv.FormatInt(id, 10)
}

// base is the site's BaseURL with a final slash.
func base(s Site) string {
	b := strings.TrimSpace(s.BaseURL)
	if !strings.HasSuffix(b, "/") {
		b += "/"
	}
	return b
}

// basePath is the path part of BaseURL ("/" or "/news/"), for links inside
// the HTML pages so the site also works under a sub-path.
func basePath(s Site) string {
	u, err := url.Parse(base(s))
	if err != nil || u.Path == "" {
		return "/"
	}
	return u.EscapedPath()
}

// escapePath path-escapes every segment of an unescaped relative path.
func escapePath(p string) string {
	segs := strings.Split(strings.Trim(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// docURL is the absolute URL of a document path (plus extension).
func docURL(s Site, path, ext string) string {
	if path == "" {
		return base(s)
	}
	return base(s) + escapePath(path) + ext
}

// tagPath is the relative path of a tag's page.
func tagPath(tag string) string { return "tags/" + url.PathEscape(tag) }

// language is the site's language tag, DefaultLanguage when it is empty or
// not shaped like a BCP 47 tag (Atom's schema rejects such an xml:lang).
func language(s Site) string {
	if l := langTag(s.Language); l != "" {
		return l
	}
	return DefaultLanguage
}

// langTag is l when it has the shape of a BCP 47 language tag (letters,
// then dash-separated parts of letters and digits), else "".
func langTag(l string) string {
	l = strings.TrimSpace(l)
	if l == "" || len(l) > 35 {
		return ""
	}
	for i, part := range strings.Split(l, "-") {
		if part == "" || len(part) > 8 {
			return ""
		}
		for _, c := range part {
			alpha := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
			if !alpha && (i == 0 || c < '0' || c > '9') {
				return ""
			}
		}
	}
	return l
}

// hub is the site's WebSub hub URL; "" when none is set or it is not an
// absolute http(s) URL (no subscriber could reach it).
func hub(s Site) string { return safeURL(s.Hub) }

// siteTitle is the site's title, never empty.
func siteTitle(s Site) string {
	if t := line(s.Title); t != "" {
		return t
	}
	return "feedloom"
}

// docTitle is a feed's title, never empty.
func docTitle(s Site, d Doc) string {
	if t := line(d.Title); t != "" {
		return t
	}
	return siteTitle(s)
}

// docDescription is a feed's description, never empty.
func docDescription(s Site, d Doc) string {
	if t := line(d.Description); t != "" {
		return t
	}
	return docTitle(s, d) + ": articles collected by " + siteTitle(s)
}

// epoch is the date of a feed without entries: fixed, so its bytes (and
// ETag) do not change from one render to the next.
func epoch() time.Time { return time.Unix(0, 0).UTC() }

// published is when the article was published, never zero.
func published(a feeds.Article) time.Time {
	for _, t := range []time.Time{a.Published, a.FirstSeen, a.Updated} {
		if !t.IsZero() {
			return t.UTC()
		}
	}
	return epoch()
}

// updated is when the article last changed, never before it was published.
func updated(a feeds.Article) time.Time {
	p := published(a)
	if a.Updated.After(p) {
		return a.Updated.UTC()
	}
	return p
}

// newest is the latest update of any entry: a feed's own updated date.
func newest(es []Entry) time.Time {
	t := epoch()
	for _, e := range es {
		if u := updated(e.Article); u.After(t) {
			t = u
		}
	}
	return t
}

// link is the article's original link, or its page here when it has none
// (or one that is not an absolute http(s) URL).
func link(s Site, a feeds.Article) string {
	if l := safeURL(a.Link); l != "" {
		return l
	}
	return ArticleURL(s, a.ID)
}

// relatedLink is a related post's original link, or its page here.
func relatedLink(s Site, r feeds.RelatedPost) string {
	if l := safeURL(r.Link); l != "" {
		return l
	}
	return ArticleURL(s, r.ArticleID)
}

// safeURL returns u cleaned when it is an absolute http(s) URL, else "".
func safeURL(u string) string {
	u = strings.TrimSpace(clean(u))
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

// sourceURL returns a source's feed URL cleaned when it is an absolute
// http(s) or file URL (config allows both), else "".
func sourceURL(u string) string {
	if v := safeURL(u); v != "" {
		return v
	}
	u = strings.TrimSpace(clean(u))
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "file" || p.Path == "" {
		return ""
	}
	return u
}

// title is an article's title, never empty (feed readers need one).
func title(a feeds.Article) string {
	if t := line(a.Title); t != "" {
		return t
	}
	if t := line(plainText(a.Summary)); t != "" {
		return truncate(t, 80)
	}
	return "Untitled"
}

// relatedTitle is a related post's title, never empty.
func relatedTitle(r feeds.RelatedPost) string {
	if t := line(r.Title); t != "" {
		return t
	}
	return "Untitled"
}

// firstSource is the article's first carrier, as configured; ok is false
// when the article names no source or the source is no longer configured.
func firstSource(s Site, a feeds.Article) (feeds.Source, bool) {
	if len(a.Sources) == 0 {
		return feeds.Source{}, false
	}
	src, ok := s.Sources[a.Sources[0]]
	if !ok {
		return feeds.Source{Name: a.Sources[0]}, false
	}
	return src, true
}

// sourceTitle is the display title of a source by name.
func sourceTitle(s Site, name string) string {
	if src, ok := s.Sources[name]; ok && src.Title != "" {
		if t := line(src.Title); t != "" {
			return t
		}
	}
	if t := line(s.FeedTitles[name]); t != "" {
		return t
	}
	return line(name)
}

// author is the article's author, else its first source's title, else "".
func author(s Site, a feeds.Article) string {
	if n := line(a.Author); n != "" {
		return n
	}
	if len(a.Sources) > 0 {
		return sourceTitle(s, a.Sources[0])
	}
	return ""
}

// tags are the article's tags cleaned, without empty ones.
func tags(a feeds.Article) []string {
	out := make([]string, 0, len(a.Tags))
	for _, t := range a.Tags {
		if t = line(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// terms are the labels of the article's automatic key terms (tags.auto),
// as plain lines.
func terms(a feeds.Article) []string {
	out := make([]string, 0, len(a.Terms))
	for _, t := range a.Terms {
		if l := line(feeds.DecodeTerm(t).Label); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// termScheme names the scheme of key-term categories, apart from tags.
func termScheme(s Site) string { return base(s) + "terms" }

// contentHTML is the article's body: content, else summary.
func contentHTML(a feeds.Article) string {
	if c := strings.TrimSpace(clean(a.Content)); c != "" {
		return c
	}
	return strings.TrimSpace(clean(a.Summary))
}

// summaryHTML is the article's summary: summary, else content.
func summaryHTML(a feeds.Article) string {
	if c := strings.TrimSpace(clean(a.Summary)); c != "" {
		return c
	}
	return strings.TrimSpace(clean(a.Content))
}
