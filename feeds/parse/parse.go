// Package parse turns fetched bytes into a feeds.Feed with gofeed (RSS
// 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed 1.0/1.1), and never touches the
// network: gofeed only ever sees the bytes passed in.
//
// gofeed alone loses real feeds to details (UTF-16/32, undeclared
// windows-1252, one U+FFFE, a BOM before JSON, relative links), so Parse
// first turns the document into clean UTF-8 and afterwards resolves links
// against the feed's URL. Failures are errors wrapping ErrNotAFeed or
// ErrMalformed, never panics. Entities are never expanded (XXE and "billion
// laughs" stay literal text). At most MaxItems items are kept, and they are
// cut from the bytes before gofeed sees them (see MaxCost), so gofeed's
// memory is bounded by the items kept, not by the body.
package parse

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	ext "github.com/mmcdole/gofeed/extensions"
	"github.com/mmcdole/gofeed/rss"
)

// MaxItems is how many items Parse keeps, the first ones in document order
// (feeds list the newest first); the rest of a larger feed is dropped
// without an error, since the items kept are good.
const MaxItems = 10000

// MaxDepth is the deepest element nesting Parse accepts: gofeed's memory
// grows steeply with nesting, and no real feed comes near it.
const MaxDepth = 1000

// MaxCost bounds what gofeed is given of an XML document, counted in
// elements plus attributes: gofeed keeps a tree of every element and
// extension it sees, at up to ~600 bytes each (a 10 MB body of small
// extension elements costs ~460 MB of heap, 46x its size). Items after the
// budget is spent are dropped like those beyond MaxItems; a document whose
// budget is spent outside the items kept is refused. The largest real feed
// of the corpus (730 items) costs about 11,000; 200,000 bounds gofeed's heap
// near 120 MB whatever the body size.
const MaxCost = 200_000

// maxTTL caps RSS <ttl>: a feed must not park itself for months.
const maxTTL = 7 * 24 * time.Hour

// ErrNotAFeed is wrapped by errors for documents that are not a feed at all:
// empty, an HTML page, gzip or random bytes, XML with another root.
var ErrNotAFeed = errors.New("not a feed")

// ErrMalformed is wrapped by errors for documents that look like a feed but
// cannot be read: truncated or otherwise broken XML or JSON.
var ErrMalformed = errors.New("malformed feed")

// Parse parses data, fetched from feedURL (used to resolve relative links;
// may be empty) with the HTTP contentType (its charset is honoured; may be
// empty).
func Parse(data []byte, contentType, feedURL string) (*feeds.Feed, error) {
	p, err := prepare(data, contentType)
	if err != nil {
		return nil, err
	}
	if p.json {
		p.data = limitJSON(p.data)
	} else {
		data, err := limit(p.data)
		if err != nil {
			return nil, err
		}
		p.data = data
	}
	kind := gofeed.DetectFeedType(bytes.NewReader(p.data[:min(len(p.data), 4096)]))
	if kind == gofeed.FeedTypeUnknown {
		return nil, fmt.Errorf("%w: %s", ErrNotAFeed, whatIsIt(p.data))
	}
	gf, err := runGofeed(p.data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, kindName(kind), err)
	}
	return convert(gf, feedURL), nil
}

// runGofeed parses with a fresh gofeed parser, turning a panic into an error.
func runGofeed(data []byte) (f *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("parser panic: %v", r)
		}
	}()
	fp := gofeed.NewParser()
	fp.KeepOriginalFeed = true // for RSS <ttl> and guid isPermaLink
	// Images are not used; gofeed's scan of every item's HTML for one costs
	// about a third of the parse.
	fp.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return fp.Parse(bytes.NewReader(data))
}

func kindName(k gofeed.FeedType) string {
	switch k {
	case gofeed.FeedTypeRSS:
		return "rss"
	case gofeed.FeedTypeAtom:
		return "atom"
	case gofeed.FeedTypeJSON:
		return "json feed"
	}
	return "unknown"
}

// whatIsIt names a document gofeed did not recognise, for the error.
func whatIsIt(data []byte) string {
	head := bytes.ToLower(data[:min(len(data), 1024)])
	if bytes.Contains(head, []byte("<html")) || bytes.Contains(head, []byte("<!doctype html")) {
		return "an HTML page"
	}
	if data[0] == '{' || bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) {
		return "JSON that is not a JSON Feed"
	}
	return "no rss, rdf or feed root element"
}

// convert maps gofeed's universal feed to feeds.Feed.
func convert(gf *gofeed.Feed, feedURL string) *feeds.Feed {
	base, _ := url.Parse(strings.TrimSpace(feedURL))
	if base != nil && !base.IsAbs() {
		base = nil
	}
	out := &feeds.Feed{
		Title:    gf.Title,
		Link:     resolve(base, gf.Link),
		Format:   format(gf),
		Language: language(gf.Language),
	}
	var orig *rss.Feed
	var origAtom *atom.Feed
	if o, ok := gf.OriginalFeed().(*atom.Feed); ok {
		origAtom = o
	}
	if o, ok := gf.OriginalFeed().(*rss.Feed); ok {
		orig = o
		if n, err := strconv.Atoi(strings.TrimSpace(o.TTL)); err == nil && n > 0 {
			out.TTL = min(time.Duration(min(n, int(maxTTL/time.Minute)))*time.Minute, maxTTL)
		}
	}
	inherit := ""
	if gf.FeedType != "rss" { // Atom and JSON Feed entries inherit the feed's author
		inherit = person(gf.Author, gf.Authors)
	}
	items := gf.Items[:min(len(gf.Items), MaxItems)]
	out.Items = make([]feeds.Item, 0, len(items))
	for i, it := range items {
		if it == nil {
			continue
		}
		item := feeds.Item{
			GUID:       strings.TrimSpace(it.GUID),
			Link:       resolve(base, it.Link),
			Title:      it.Title,
			Summary:    it.Description,
			Content:    it.Content,
			Author:     person(it.Author, it.Authors),
			Published:  timeOf(it.PublishedParsed),
			Updated:    timeOf(it.UpdatedParsed),
			Categories: categories(it.Categories),
		}
		if origAtom != nil && i < len(origAtom.Entries) && origAtom.Entries[i] != nil {
			item.Categories = atomTerms(origAtom.Entries[i].Categories)
		}
		if item.Content == "" && item.Summary == "" {
			item.Content = mediaGroup(it.Extensions, base)
		}
		if o := origLink(it); o != "" {
			item.Link = resolve(base, o)
		}
		if item.Link == "" && len(it.Links) > 0 {
			item.Link = resolve(base, it.Links[0])
		}
		if item.Link == "" && orig != nil && i < len(orig.Items) {
			item.Link = permalink(orig.Items[i])
		}
		if item.Author == "" {
			item.Author = inherit
		}
		if orig != nil && i < len(orig.Items) && orig.Items[i] != nil && orig.Items[i].Source != nil {
			item.Outlet = strings.TrimSpace(orig.Items[i].Source.Title)
		}
		out.Items = append(out.Items, item)
	}
	return out
}

// atomTerms are an Atom entry's category terms: the term is the
// category's identity, the label only its display text (gofeed prefers the
// label, which differs in case and wording from feed to feed and so would
// split one tag into several).
func atomTerms(cs []*atom.Category) []string {
	var out []string
	for _, c := range cs {
		if c == nil {
			continue
		}
		v := strings.TrimSpace(c.Term)
		if v == "" {
			v = strings.TrimSpace(c.Label)
		}
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// mediaGroup is the HTML content of an item that only has a Media RSS
// media:group (YouTube's Atom feeds): the thumbnail as an image, then the
// description as text, paragraph per blank line. "" when there is neither.
// Normalising sanitises it like any other content.
func mediaGroup(exts ext.Extensions, base *url.URL) string {
	groups := exts["media"]["group"]
	if len(groups) == 0 {
		return ""
	}
	g := groups[0]
	var b strings.Builder
	for _, th := range g.Children["thumbnail"] {
		if u := resolve(base, th.Attrs["url"]); strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://") {
			b.WriteString(`<p><img src="` + html.EscapeString(u) + `" alt=""></p>`)
			break
		}
	}
	for _, d := range g.Children["description"] {
		text := strings.TrimSpace(d.Value)
		if text == "" {
			continue
		}
		for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n\n") {
			if para = strings.TrimSpace(para); para != "" {
				b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>") + "</p>")
			}
		}
		break
	}
	return b.String()
}

// origLinkExts are the extension elements in which a feed proxy keeps the
// publisher's own URL of an item whose <link> points through the proxy
// (FeedBurner's feedproxy.google.com links): namespace prefix, then name.
var origLinkExts = [][2]string{{"feedburner", "origLink"}, {"feedburner", "origlink"}, {"pheedo", "origLink"}}

// origLink is the item's publisher URL from a proxy's extension element,
// else "": the proxy's link is no identity (every copy gets its own) and
// stops working when the proxy does.
func origLink(it *gofeed.Item) string {
	for _, e := range origLinkExts {
		for _, x := range it.Extensions[e[0]][e[1]] {
			if v := strings.TrimSpace(x.Value); strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
				return v
			}
		}
	}
	return ""
}

// format is "rss 2.0", "atom 1.0", "json 1.1" ..., or just the type.
func format(gf *gofeed.Feed) string {
	v := strings.TrimSpace(gf.FeedVersion)
	if gf.FeedType == "json" {
		v = strings.TrimPrefix(strings.TrimPrefix(v, "https://jsonfeed.org/version/"), "http://jsonfeed.org/version/")
		if v == "1" {
			v = "1.0"
		}
	}
	if v == "" {
		return gf.FeedType
	}
	return gf.FeedType + " " + v
}

// permalink is an RSS guid that is a permalink (isPermaLink is not
// "false") and an absolute http(s) URL, else "".
func permalink(it *rss.Item) string {
	if it == nil || it.GUID == nil || strings.EqualFold(strings.TrimSpace(it.GUID.IsPermalink), "false") {
		return ""
	}
	g := strings.TrimSpace(it.GUID.Value)
	u, err := url.Parse(g)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return g
}

// resolve makes ref absolute against base (the feed's URL); gofeed has
// already applied xml:base.
func resolve(base *url.URL, ref string) string {
	ref = strings.TrimSpace(ref)
	if ref == "" || base == nil {
		return ref
	}
	u, err := url.Parse(ref)
	if err != nil || u.IsAbs() {
		return ref
	}
	return base.ResolveReference(u).String()
}

// person is the first author's name, else their e-mail address.
func person(p *gofeed.Person, ps []*gofeed.Person) string {
	if p == nil && len(ps) > 0 {
		p = ps[0]
	}
	if p == nil {
		return ""
	}
	if n := strings.TrimSpace(p.Name); n != "" {
		return n
	}
	return strings.TrimSpace(p.Email)
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// categories trims the feed's categories and drops empty ones.
func categories(in []string) []string {
	var out []string
	for _, c := range in {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// maxLanguage bounds a declared language: BCP 47 tags in use are short.
const maxLanguage = 35

// language is a feed's declared language as one trimmed token ("en-us",
// "ur"), "" when absent or not a plausible language tag; pages check it
// again before they write it.
func language(l string) string {
	l = strings.TrimSpace(l)
	if l == "" || len(l) > maxLanguage {
		return ""
	}
	for _, c := range l {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	return strings.ReplaceAll(l, "_", "-")
}
