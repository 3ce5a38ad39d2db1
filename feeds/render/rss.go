package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/feeds"
)

// The RSS writer marshals gorilla/feeds' exported RSS structs, wrapped by
// embedding where v1.2.0 falls short (shared/notes/gorilla-feeds.md):
// gorilla writes content:encoded as CDATA copied byte for byte, a bare
// author name where RSS wants an e-mail, one category as a string, a source
// without its url, and no atom:link. An outer field with the same XML name
// as an embedded one shadows it (encoding/xml keeps the shallower field),
// so the wrappers below replace those fields and leave the rest to gorilla.
// The outer fields also sit where they keep the element order readers have
// always seen. Text is written escaped, never as CDATA, so no input can end
// a section.

const (
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
)

// rssDoc is gorilla's <rss> with the atom and dc namespaces. The namespace
// and channel fields shadow gorilla's so the attributes keep their order
// and the channel is the wrapped one.
type rssDoc struct {
	feeds.RssFeedXml
	NSAtom           string     `xml:"xmlns:atom,attr"`
	ContentNamespace string     `xml:"xmlns:content,attr"`
	NSDC             string     `xml:"xmlns:dc,attr"`
	NSHistory        string     `xml:"xmlns:fh,attr,omitempty"` // archive documents only
	Channel          rssChannel `xml:"channel"`
}

// rssChannel writes atom:link before <link>: readers that match "link"
// without its namespace and keep the last one (Go's encoding/xml does so
// with a `channel>link` field: yarr) would otherwise take the self link's
// empty text and show the feed's URL as the site. Namespace-aware readers
// do not mind the order. Title is shadowed only to come before atom:link,
// LastBuildDate to come after generator and docs as it always has.
type rssChannel struct {
	Title     string        `xml:"title"`
	AtomLinks []rssAtomLink `xml:"atom:link"` // self, the RFC 5005 links, then the WebSub hub
	feeds.RssFeed
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Archive       *struct{} `xml:"fh:archive"` // RFC 5005 fh:archive, nil for a current document
	Items         []rssItem `xml:"item"`
}

type rssAtomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
}

// rssItem is gorilla's item plus dc:creator; the shadowing fields carry
// several categories with their domain, a source with its url, and an
// optional description and content:encoded written as escaped text.
type rssItem struct {
	feeds.RssItem
	Creator     string        `xml:"dc:creator,omitempty"`
	Category    []rssCategory `xml:"category"`
	Source      *rssSource    `xml:"source"`
	Description string        `xml:"description,omitempty"`
	Content     string        `xml:"content:encoded,omitempty"`
}

type rssCategory struct {
	Domain string `xml:"domain,attr"`
	Name   string `xml:",chardata"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

// RSS writes d as an RSS 2.0 feed with an atom:link rel="self" (and
// rel="hub" when Site.Hub is set, archive pages excepted), and the
// RFC 5005 links and fh:archive of Doc.History. Each item's guid is ArticleURL
// (isPermaLink="false": the item's link is the original article, not this
// id), its author a dc:creator (RSS's author element requires an e-mail
// address), and its full content a content:encoded.
func RSS(w io.Writer, s Site, d Doc) error {
	doc := rssDoc{
		RssFeedXml:       feeds.RssFeedXml{Version: "2.0"},
		NSAtom:           atomNS,
		ContentNamespace: nsContent,
		NSDC:             nsDC,
		Channel:          rssChannelOf(s, d),
	}
	if d.History.Archive {
		doc.NSHistory = historyNS
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write rss: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write rss: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write rss: %w", err)
	}
	return nil
}

// rssChannelOf builds the channel and its items.
func rssChannelOf(s Site, d Doc) rssChannel {
	c := rssChannel{
		Title:     docTitle(s, d),
		AtomLinks: []rssAtomLink{{Href: docURL(s, d.Path, ".rss"), Rel: "self", Type: "application/rss+xml"}},
		RssFeed: feeds.RssFeed{
			Link:        docURL(s, d.Page, ""),
			Description: docDescription(s, d),
			Language:    language(s),
			Generator:   Generator,
			Docs:        "https://www.rssboard.org/rss-specification",
		},
		Items: make([]rssItem, 0, len(d.Entries)),
	}
	for _, l := range historyLinks(d) {
		c.AtomLinks = append(c.AtomLinks, rssAtomLink{Href: docURL(s, l.path, ".rss"), Rel: l.rel, Type: "application/rss+xml"})
	}
	if h := docHub(s, d); h != "" {
		c.AtomLinks = append(c.AtomLinks, rssAtomLink{Href: h, Rel: "hub"})
	}
	if d.History.Archive {
		c.Archive = &struct{}{}
	}
	if len(d.Entries) > 0 {
		c.LastBuildDate = rfc822(newest(d.Entries))
	}
	for _, e := range d.Entries {
		c.Items = append(c.Items, rssItemOf(s, e))
	}
	return c
}

// rssItemOf builds one item.
func rssItemOf(s Site, e Entry) rssItem {
	a := e.Article
	it := rssItem{
		RssItem: feeds.RssItem{
			Title:   title(a),
			Link:    link(s, a),
			Guid:    &feeds.RssGuid{IsPermaLink: "false", Id: ArticleURL(s, a.ID)},
			PubDate: rfc822(published(a)),
		},
		Creator:     author(s, a),
		Description: summaryHTML(a),
	}
	if c := contentHTML(a); c != it.Description {
		it.Content = c
	}
	for _, t := range tags(a) {
		it.Category = append(it.Category, rssCategory{Domain: base(s) + "tags/", Name: t})
	}
	for _, t := range terms(a) {
		it.Category = append(it.Category, rssCategory{Domain: termScheme(s), Name: t})
	}
	if src, ok := firstSource(s, a); ok {
		if u := sourceURL(src.URL); u != "" {
			it.Source = &rssSource{URL: u, Title: sourceTitle(s, src.Name)}
		}
	}
	return it
}

// rfc822 formats t for RSS: RFC 1123 with a numeric zone, in UTC.
func rfc822(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }
