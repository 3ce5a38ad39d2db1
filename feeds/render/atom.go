package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"time"

	"github.com/gorilla/feeds"
)

// The Atom writer marshals gorilla/feeds' AtomFeed for the <feed> element,
// its namespace and author, and gorilla's AtomAuthor, AtomSummary and
// AtomContent inside entries. The rest gorilla v1.2.0 cannot express
// (shared/notes/gorilla-feeds.md): one link per feed and entry (no self,
// hub, related or second link), titles without a type, categories without
// the required term, a source as a string, and no published date. The feed
// wraps AtomFeed by embedding, an outer field shadowing the embedded one
// with the same XML name (encoding/xml keeps the shallower field); id and
// updated are shadowed only to keep their place. Entries have their own
// struct: AtomEntry's field order would need nearly all of it shadowed.

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeed struct {
	Id       string     `xml:"id"`
	Title    atomText   `xml:"title"`
	Subtitle *atomText  `xml:"subtitle"`
	Updated  string     `xml:"updated"`
	Link     []atomLink `xml:"link"` // self, alternate, the RFC 5005 links, then the WebSub hub
	feeds.AtomFeed
	Lang      string        `xml:"xml:lang,attr"`
	NSHistory string        `xml:"xmlns:fh,attr,omitempty"` // archive documents only
	Generator atomGenerator `xml:"generator"`
	Archive   *struct{}     `xml:"fh:archive"` // RFC 5005 fh:archive, nil for a current document
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
	ID         string             `xml:"id"`
	Title      atomText           `xml:"title"`
	Published  string             `xml:"published"`
	Updated    string             `xml:"updated"`
	Links      []atomLink         `xml:"link"`
	Authors    []feeds.AtomAuthor `xml:"author"`
	Categories []atomCategory     `xml:"category"`
	Source     *atomSource        `xml:"source"`
	Summary    *feeds.AtomSummary `xml:"summary"`
	Content    *feeds.AtomContent `xml:"content"`
}

// Atom writes d as an Atom 1.0 feed (RFC 4287). The feed id is the feed's
// URL without extension (BaseURL + Path), stable and unique per feed; each
// entry's id is ArticleURL. Entries link to the original article
// (alternate), to its page here (bookmark) and to each related post
// (related). When Site.Hub is set, the feed links to it as rel="hub"
// (archive pages excepted). Doc.History adds the
// RFC 5005 links (current, prev-archive, next-archive) and fh:archive.
func Atom(w io.Writer, s Site, d Doc) error {
	f := atomFeed{
		Id:      docURL(s, feedID(d), ""),
		Title:   atomText{Type: "text", Body: docTitle(s, d)},
		Updated: rfc3339(newest(d.Entries)),
		Link: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: docURL(s, d.Path, ".atom")},
			{Rel: "alternate", Type: "text/html", Href: docURL(s, d.Page, "")},
		},
		AtomFeed: feeds.AtomFeed{
			Xmlns:  atomNS,
			Author: &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: siteTitle(s), Uri: base(s)}},
		},
		Lang:      language(s),
		Generator: atomGenerator{URI: GeneratorURI, Name: Generator},
		Entries:   make([]atomEntry, 0, len(d.Entries)),
	}
	if desc := line(d.Description); desc != "" {
		f.Subtitle = &atomText{Type: "text", Body: desc}
	}
	for _, l := range historyLinks(d) {
		f.Link = append(f.Link, atomLink{Rel: l.rel, Type: "application/atom+xml", Href: docURL(s, l.path, ".atom")})
	}
	if h := docHub(s, d); h != "" {
		f.Link = append(f.Link, atomLink{Rel: "hub", Href: h})
	}
	if d.History.Archive {
		f.NSHistory, f.Archive = historyNS, &struct{}{}
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
		x.Authors = []feeds.AtomAuthor{{AtomPerson: feeds.AtomPerson{Name: n}}}
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
		x.Content = &feeds.AtomContent{Type: "html", Content: c}
	}
	if sum := summaryHTML(a); sum != "" && sum != c {
		x.Summary = &feeds.AtomSummary{Type: "html", Content: sum}
	}
	return x
}

// rfc3339 formats t for Atom and JSON Feed: UTC, whole seconds.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
