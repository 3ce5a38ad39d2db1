package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// The RSS writer uses its own structs rather than wrapping gorilla/feeds:
// gorilla writes content:encoded as CDATA copied byte for byte (control
// characters make the document not well-formed), a bare author name where
// RSS wants an e-mail, guids that claim to be permalinks, and a source
// without its url. Owning the ~60 lines removes those at their source.
// Text is written escaped, never as CDATA, so no input can end a section.

type rssDoc struct {
	XMLName   xml.Name   `xml:"rss"`
	Version   string     `xml:"version,attr"`
	NSAtom    string     `xml:"xmlns:atom,attr"`
	NSContent string     `xml:"xmlns:content,attr"`
	NSDC      string     `xml:"xmlns:dc,attr"`
	Channel   rssChannel `xml:"channel"`
}

// rssChannel writes atom:link before <link>: readers that match "link"
// without its namespace and keep the last one (Go's encoding/xml does so
// with a `channel>link` field: yarr) would otherwise take the self link's
// empty text and show the feed's URL as the site. Namespace-aware readers
// do not mind the order.
type rssChannel struct {
	Title         string    `xml:"title"`
	Self          rssSelf   `xml:"atom:link"`
	Link          string    `xml:"link"`
	Description   string    `xml:"description"`
	Language      string    `xml:"language"`
	Generator     string    `xml:"generator"`
	Docs          string    `xml:"docs"`
	LastBuildDate string    `xml:"lastBuildDate,omitempty"`
	Items         []rssItem `xml:"item"`
}

type rssSelf struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr"`
}

type rssItem struct {
	Title       string        `xml:"title"`
	Link        string        `xml:"link"`
	GUID        rssGUID       `xml:"guid"`
	PubDate     string        `xml:"pubDate"`
	Creator     string        `xml:"dc:creator,omitempty"`
	Categories  []rssCategory `xml:"category"`
	Source      *rssSource    `xml:"source"`
	Description string        `xml:"description,omitempty"`
	Content     string        `xml:"content:encoded,omitempty"`
}

type rssGUID struct {
	IsPermaLink string `xml:"isPermaLink,attr"`
	ID          string `xml:",chardata"`
}

type rssCategory struct {
	Domain string `xml:"domain,attr"`
	Name   string `xml:",chardata"`
}

type rssSource struct {
	URL   string `xml:"url,attr"`
	Title string `xml:",chardata"`
}

// RSS writes d as an RSS 2.0 feed with an atom:link rel="self". Each item's
// guid is ArticleURL (isPermaLink="false": the item's link is the original
// article, not this id), its author a dc:creator (RSS's author element
// requires an e-mail address), and its full content a content:encoded.
func RSS(w io.Writer, s Site, d Doc) error {
	doc := rssDoc{
		Version:   "2.0",
		NSAtom:    atomNS,
		NSContent: "http://purl.org/rss/1.0/modules/content/",
		NSDC:      "http://purl.org/dc/elements/1.1/",
		Channel: rssChannel{
			Title:       docTitle(s, d),
			Link:        docURL(s, d.Page, ""),
			Description: docDescription(s, d),
			Language:    language(s),
			Generator:   Generator,
			Docs:        "https://www.rssboard.org/rss-specification",
			Self:        rssSelf{Href: docURL(s, d.Path, ".rss"), Rel: "self", Type: "application/rss+xml"},
			Items:       make([]rssItem, 0, len(d.Entries)),
		},
	}
	if len(d.Entries) > 0 {
		doc.Channel.LastBuildDate = rfc822(newest(d.Entries))
	}
	for _, e := range d.Entries {
		doc.Channel.Items = append(doc.Channel.Items, rssItemOf(s, e))
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

// rssItemOf builds one item.
func rssItemOf(s Site, e Entry) rssItem {
	a := e.Article
	it := rssItem{
		Title:       title(a),
		Link:        link(s, a),
		GUID:        rssGUID{IsPermaLink: "false", ID: ArticleURL(s, a.ID)},
		PubDate:     rfc822(published(a)),
		Creator:     author(s, a),
		Description: summaryHTML(a),
	}
	if c := contentHTML(a); c != it.Description {
		it.Content = c
	}
	for _, t := range tags(a) {
		it.Categories = append(it.Categories, rssCategory{Domain: base(s) + "tags/", Name: t})
	}
	for _, t := range terms(a) {
		it.Categories = append(it.Categories, rssCategory{Domain: termScheme(s), Name: t})
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
