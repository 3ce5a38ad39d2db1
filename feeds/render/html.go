package render

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/feedloom/feedloom/feeds"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages renders feedloom's HTML pages from embedded html/template files:
// one shared layout (inline CSS, no JavaScript, feed autodiscovery links)
// and one template per page. It is safe for concurrent use.
type Pages struct {
	tmpl map[string]*template.Template
}

// NewPages parses the embedded templates. It fails only if a template is
// broken, which the package's tests catch.
func NewPages() (*Pages, error) {
	// Each page template is parsed with layout.html into a set of its own,
	// since every page defines "content".
	names := []string{"index", "tag", "article", "sources", "error"}
	p := &Pages{tmpl: make(map[string]*template.Template, len(names))}
	for _, name := range names {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		p.tmpl[name] = t
	}
	return p, nil
}

// IndexPage is the data of the home page ("/"): the published feeds with
// their subscribe links, the latest articles and the most used tags.
type IndexPage struct {
	Site    Site
	Outputs []feeds.Output   // configured outputs; the built-in "all" is always listed first
	Latest  []feeds.Article  // newest first
	Tags    []feeds.TagCount // most used first
	// Languages is the declared language of each source's feed, by name.
	Languages map[string]string
	// Failing and Fetched count the sources whose last fetch failed and
	// those fetched successfully; an index without articles says which.
	Failing, Fetched int
}

// TagPage is the data of /tags/{tag}.
type TagPage struct {
	Site     Site
	Tag      string
	Count    int             // articles carrying the tag (may exceed len(Articles))
	Articles []feeds.Article // newest first
	// Languages is the declared language of each source's feed, by name.
	Languages map[string]string
}

// ArticlePage is the data of /articles/{id}: the article and its related
// posts, the section a news site shows under a story.
type ArticlePage struct {
	Site    Site
	Article feeds.Article
	Related []feeds.RelatedPost
	// Languages is the declared language of each source's feed, by name:
	// the page's lang is that of the article's first source that declares one.
	Languages map[string]string
}

// SourcesPage is the data of /sources: the fetch health of every source.
type SourcesPage struct {
	Site    Site
	Sources []feeds.SourceState // in display order (storage gives them by name)
}

// ErrorPage is the data of an error page, such as a 404.
type ErrorPage struct {
	Site    Site
	Status  int    // HTTP status code
	Message string // a short explanation for people, e.g. `no tag "foo"`
}

// Index writes the home page.
func (p *Pages) Index(w io.Writer, d IndexPage) error {
	v := newView(d.Site, siteTitle(d.Site))
	pg := indexView{Tags: make([]tagRef, 0, len(d.Tags)), SourceCount: len(d.Site.Sources),
		Failing: d.Failing, Fetched: d.Fetched, SourcesURL: v.SourcesURL}
	pg.Outputs = append(pg.Outputs, outputFeeds(d.Site, "feeds/all", "All articles", "Everything, newest first"))
	for _, o := range d.Outputs {
		pg.Outputs = append(pg.Outputs, outputFeeds(d.Site, "feeds/"+o.Name, firstNonEmpty(line(o.Title), line(o.Name)), line(o.Description)))
	}
	for _, o := range pg.Outputs[1:] {
		v.Feeds = append(v.Feeds, o.links(siteTitle(d.Site)+": "+o.Title)...)
	}
	for _, t := range d.Tags {
		if n := line(t.Tag); n != "" {
			pg.Tags = append(pg.Tags, tagRef{Name: n, URL: v.prefix + tagPath(n), Count: t.Count})
		}
	}
	pg.Latest = articleItems(d.Site, v.prefix, d.Latest, d.Languages)
	v.Page = pg
	return p.exec(w, "index", v)
}

// Tag writes the page of one tag.
func (p *Pages) Tag(w io.Writer, d TagPage) error {
	tag := line(d.Tag)
	v := newView(d.Site, tag+" · "+siteTitle(d.Site))
	feed := outputFeeds(d.Site, "tags/"+tag, tag, "")
	v.Feeds = append(feed.links(siteTitle(d.Site)+": "+tag), v.Feeds...)
	v.Page = tagView{Tag: tag, Count: d.Count, Feed: feed, Articles: articleItems(d.Site, v.prefix, d.Articles, d.Languages)}
	return p.exec(w, "tag", v)
}

// Article writes the page of one article. Its body is Content (else
// Summary) published as HTML unescaped: both are sanitised before they are
// stored (see the package comment); everything else is escaped.
func (p *Pages) Article(w io.Writer, d ArticlePage) error {
	a := d.Article
	it := articleItem(d.Site, basePath(d.Site), a, d.Languages)
	v := newView(d.Site, it.Title+" · "+siteTitle(d.Site))
	if it.Lang != "" {
		v.Lang = it.Lang
	}
	v.Canonical = it.Original
	pg := articleView{
		Item: it,
		// Sanitised before it was stored: the package's trust boundary.
		Body: template.HTML(contentHTML(a)),
		Host: hostOf(it.Original),
	}
	for _, r := range d.Related {
		rv := relatedItem{
			URL:      v.prefix + "articles/" + fmt.Sprint(r.ArticleID),
			Title:    relatedTitle(r),
			Original: relatedLink(d.Site, r),
			Time:     when(r.Published),
		}
		rv.Host = hostOf(rv.Original)
		for _, t := range r.Shared {
			if n := line(t); n != "" {
				rv.Shared = append(rv.Shared, ref{Name: n, URL: v.prefix + tagPath(n)})
			}
		}
		pg.Related = append(pg.Related, rv)
	}
	v.Page = pg
	return p.exec(w, "article", v)
}

// Sources writes the health table of every source.
func (p *Pages) Sources(w io.Writer, d SourcesPage) error {
	v := newView(d.Site, "Sources · "+siteTitle(d.Site))
	v.Wide = true
	pg := sourcesView{OPML: v.prefix + "opml", JSON: v.prefix + "sources.json", Count: len(d.Sources)}
	pg.Rows, pg.Failing = sourceRows(d.Site, d.Sources)
	v.Page = pg
	return p.exec(w, "sources", v)
}

// Error writes an error page for d.Status (the caller sets the status line).
func (p *Pages) Error(w io.Writer, d ErrorPage) error {
	text := http.StatusText(d.Status)
	if text == "" {
		text = "Error"
	}
	v := newView(d.Site, text+" · "+siteTitle(d.Site))
	v.Page = errorView{Status: d.Status, Text: text, Message: line(d.Message)}
	return p.exec(w, "error", v)
}

// NotFound writes the 404 page with a short message.
func (p *Pages) NotFound(w io.Writer, s Site, message string) error {
	return p.Error(w, ErrorPage{Site: s, Status: http.StatusNotFound, Message: message})
}

// exec renders a page into memory first, so a template error never leaves
// half a page on the wire. A *bytes.Buffer (what feeds/web passes) is that
// memory already: the page goes straight into it, and an error takes back
// what was written (a 4.6 MB /sources is not copied twice).
func (p *Pages) exec(w io.Writer, name string, v view) error {
	if bb, ok := w.(*bytes.Buffer); ok {
		n := bb.Len()
		if err := p.tmpl[name].ExecuteTemplate(bb, "layout", v); err != nil {
			bb.Truncate(n)
			return fmt.Errorf("render %s page: %w", name, err)
		}
		return nil
	}
	var buf bytes.Buffer
	if err := p.tmpl[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render %s page: %w", name, err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write %s page: %w", name, err)
	}
	return nil
}

// when is a date as pages show it: human readable in UTC, and RFC 3339 for
// <time datetime>; zero for a zero time.
func when(t time.Time) stamp {
	if t.IsZero() {
		return stamp{}
	}
	t = t.UTC()
	return stamp{Human: t.Format("2 Jan 2006, 15:04 UTC"), ISO: t.Format(time.RFC3339)}
}
