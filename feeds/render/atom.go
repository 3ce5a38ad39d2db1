package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

// The Atom writer uses its own structs: gorilla/feeds v1.2.0 has one link
// per feed and entry (no self, related or second link), categories without
// the required term, and no published date (see shared/notes/gorilla-feeds.md).

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	XMLName   xml.Name      `xml:"feed"`
	NS        string        `xml:"xmlns,attr"`
	Lang      string        `xml:"xml:lang,attr"`
	ID        string        `xml:"id"`
	Title     atomText      `xml:"title"`
	Subtitle  *atomText     `xml:"subtitle"`
	Updated   string        `xml:"updated"`
	Links     []atomLink    `xml:"link"`
	Author    atomPerson    `xml:"author"`
	Generator atomGenerator `xml:"generator"`
	Entries   []atomEntry   `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomLink struct {
	Rel   string `xml:"rel,attr"`
	Type  string `xml:"type,attr,omitempty"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomGenerator struct {
	URI  string `xml:"uri,attr"`
	Name string `xml:",chardata"`
}

type atomCategory struct {
	Term   string `xml:"term,attr"`
	Scheme string `xml:"scheme,attr"`
}

type atomSource struct {
	ID    string    `xml:"id,omitempty"`
	Title string    `xml:"title"`
	Link  *atomLink `xml:"link"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Authors    []atomPerson   `xml:"author"`
	Categories []atomCategory `xml:"category"`
	Source     *atomSource    `xml:"source"`
	Summary    *atomText      `xml:"summary"`
	Content    *atomText      `xml:"content"`
}

// Atom writes d as an Atom 1.0 feed (RFC 4287). The feed id is the feed's
// URL without extension (BaseURL + Path), stable and unique per feed; each
// entry's id is ArticleURL. Entries link to the original article
// (alternate), to its page here (bookmark) and to each related post
// (related).
func Atom(w io.Writer, s Site, d Doc) error {
	f := atomFeed{
		NS:      atomNS,
		Lang:    language(s),
		ID:      docURL(s, d.Path, ""),
		Title:   atomText{Type: "text", Body: docTitle(s, d)},
		Updated: rfc3339(newest(d.Entries)),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: docURL(s, d.Path, ".atom")},
			{Rel: "alternate", Type: "text/html", Href: docURL(s, d.Page, "")},
		},
		Author:    atomPerson{Name: siteTitle(s), URI: base(s)},
		Generator: atomGenerator{URI: GeneratorURI, Name: Generator},
		Entries:   make([]atomEntry, 0, len(d.Entries)),
	}
	if desc := line(d.Description); desc != "" {
		f.Subtitle = &atomText{Type: "text", Body: desc}
	}
	for _, e := range d.Entries {
		f.Entries = append(f.Entries, atomEntryOf(s, e))
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("write atom: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write atom: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("write atom: %w", err)
	}
	return nil
}

// atomEntryOf builds one entry.
func atomEntryOf(s Site, e Entry) atomEntry {
	a := e.Article
	page := ArticleURL(s, a.ID)
	orig := link(s, a)
	x := atomEntry{
		ID:        page,
		Title:     atomText{Type: "text", Body: title(a)},
		Published: rfc3339(published(a)),
		Updated:   rfc3339(updated(a)),
		Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: orig}},
	}
	if orig != page {
		x.Links = append(x.Links, atomLink{Rel: "bookmark", Type: "text/html", Href: page, Title: "On " + siteTitle(s)})
	}
	for _, r := range e.Related {
		x.Links = append(x.Links, atomLink{Rel: "related", Type: "text/html", Href: relatedLink(s, r), Title: relatedTitle(r)})
	}
	if n := author(s, a); n != "" {
		x.Authors = []atomPerson{{Name: n}}
	}
	for _, t := range tags(a) {
		x.Categories = append(x.Categories, atomCategory{Term: t, Scheme: base(s) + "tags/"})
	}
	for _, t := range terms(a) {
		x.Categories = append(x.Categories, atomCategory{Term: t, Scheme: termScheme(s)})
	}
	if src, ok := firstSource(s, a); ok {
		x.Source = &atomSource{Title: sourceTitle(s, src.Name)}
		if u := sourceURL(src.URL); u != "" {
			x.Source.ID = u
			x.Source.Link = &atomLink{Rel: "self", Href: u}
		}
	}
	c := contentHTML(a)
	if c != "" {
		x.Content = &atomText{Type: "html", Body: c}
	}
	if sum := summaryHTML(a); sum != "" && sum != c {
		x.Summary = &atomText{Type: "html", Body: sum}
	}
	return x
}

// rfc3339 formats t for Atom and JSON Feed: UTC, whole seconds.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
