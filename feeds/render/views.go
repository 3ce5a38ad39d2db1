package render

import (
	"html/template"
	"net/url"
	"strconv"
	"strings"

	"github.com/feedloom/feedloom/feeds"
)

// The templates get these view models, built here in Go, so that they hold
// no logic beyond loops and conditions: every text is already one clean
// line, every link already built with the site's path prefix.

// view is what the layout needs on every page, plus the page's own Page.
type view struct {
	Lang, Title, SiteTitle string
	Home, SourcesURL       string     // internal links carry BaseURL's path prefix
	All                    []feedLink // the feeds of every article, one per format
	Feeds                  []feedLink // autodiscovery, most specific first
	Canonical              string
	Wide                   bool // a page of tables (/sources), given more width than text pages
	Page                   any
	prefix                 string
}

// feedLink is a feed in one format: a link to subscribe, and a <link
// rel="alternate"> for autodiscovery (Title).
type feedLink struct {
	Name, Title string
	Type        template.HTMLAttr // type="…" (see Format.typeAttr)
	Href        string
}

// ref is a named link.
type ref struct{ Name, URL string }

// tagRef is a tag with its page and count.
type tagRef struct {
	Name, URL string
	Count     int
}

// stamp is a date for people and for <time datetime>.
type stamp struct{ Human, ISO string }

// feedSet is one feed in every format, absolute URLs for subscribing.
type feedSet struct {
	Title, Description string
	Links              []feedLink
}

type indexView struct {
	Outputs          []feedSet
	Latest           []item
	Tags             []tagRef
	SourceCount      int
	Failing, Fetched int
	SourcesURL       string
}

type tagView struct {
	Tag      string
	Count    int
	Feed     feedSet
	Articles []item
}

type articleView struct {
	Item    item
	Body    template.HTML
	Host    string
	Related []relatedItem
}

type relatedItem struct {
	URL, Title, Original, Host string
	Time                       stamp
	Shared                     []ref
}

type sourcesView struct {
	Rows       template.HTML // the table's rows, written by sourceRows
	Count      int
	Failing    int
	OPML, JSON string
}

type row struct {
	Name, Title, URL, Link string
	LastFetch, Next        stamp
	Status, Error          string
	State                  string // CSS class: "ok", "bad" or "" (not fetched yet)
	Bad                    bool
	Count                  int
}

type errorView struct {
	Status        int
	Text, Message string
}

// item is an article as lists and the article page show it.
type item struct {
	URL, Title, Original, Author, Excerpt string
	Lang                                  string // the language its source declares, "" when unknown
	Sources                               []ref
	Time                                  stamp
	Updated                               *stamp // set when the article changed after it was published
	Tags                                  []ref
	Terms                                 []string // automatic key terms: shown, not linked (no page lists them)
}

// newView starts the view of a page: layout data and the feeds of "all"
// for autodiscovery.
func newView(s Site, title string) view {
	prefix := basePath(s)
	all := outputFeeds(s, "feeds/all", "All articles", "")
	return view{
		Lang:       language(s),
		Title:      title,
		SiteTitle:  siteTitle(s),
		Home:       prefix,
		SourcesURL: prefix + "sources",
		All:        all.Links,
		Feeds:      all.links(siteTitle(s)),
		prefix:     prefix,
	}
}

// outputFeeds is a feed path in every format.
func outputFeeds(s Site, path, title, desc string) feedSet {
	fs := feedSet{Title: title, Description: desc}
	for _, f := range Formats() {
		fs.Links = append(fs.Links, feedLink{Name: f.Name, Title: f.Title, Type: f.typeAttr(), Href: docURL(s, path, "."+f.Ext)})
	}
	return fs
}

// links are the autodiscovery links of a feed.
func (f feedSet) links(title string) []feedLink {
	out := make([]feedLink, len(f.Links))
	for i, l := range f.Links {
		l.Title = title + " (" + l.Title + ")"
		out[i] = l
	}
	return out
}

// articleItems builds list items.
func articleItems(s Site, prefix string, as []feeds.Article, langs map[string]string) []item {
	out := make([]item, 0, len(as))
	for _, a := range as {
		out = append(out, articleItem(s, prefix, a, langs))
	}
	return out
}

// articleItem builds the view of one article; its language is that of its
// first source whose feed declares a valid one.
func articleItem(s Site, prefix string, a feeds.Article, langs map[string]string) item {
	it := item{
		URL:      prefix + "articles/" + strconv.FormatInt(a.ID, 10),
		Title:    title(a),
		Original: link(s, a),
		Author:   line(a.Author),
		Excerpt:  truncate(plainText(summaryHTML(a)), 280),
		Time:     when(published(a)),
	}
	if u := updated(a); u.After(published(a)) {
		st := when(u)
		it.Updated = &st
	}
	for _, name := range a.Sources {
		if it.Lang == "" {
			it.Lang = langTag(langs[name])
		}
		r := ref{Name: sourceTitle(s, name)}
		if src, ok := s.Sources[name]; ok {
			r.URL = safeURL(src.URL)
		}
		if r.Name != "" {
			it.Sources = append(it.Sources, r)
		}
	}
	for _, t := range tags(a) {
		it.Tags = append(it.Tags, ref{Name: t, URL: prefix + tagPath(t)})
	}
	it.Terms = terms(a)
	return it
}

// sourceRow builds one row of the sources table.
func sourceRow(s Site, st feeds.SourceState) row {
	r := row{
		Name:      line(st.Name),
		Title:     sourceTitle(s, st.Name),
		URL:       line(st.FetchURL()),
		LastFetch: when(st.LastFetch),
		Next:      when(st.NextAttempt),
		Error:     line(withoutURL(st.LastError, st.FetchURL(), st.URL)),
		Count:     st.ArticleCount,
	}
	r.Link = safeURL(r.URL)
	switch {
	case st.Gone:
		r.Status, r.Bad = "gone (410)", true
	case st.LastError != "" || st.Failures > 0:
		r.Status, r.Bad = "failing", true
		if st.LastStatus != 0 {
			r.Status = "failing (" + strconv.Itoa(st.LastStatus) + ")"
		}
	case st.LastFetch.IsZero():
		r.Status = "not fetched yet"
	case st.LastStatus != 0:
		r.Status = "ok (" + strconv.Itoa(st.LastStatus) + ")"
	default:
		r.Status = "ok"
	}
	switch {
	case r.Bad:
		r.State = "bad"
	case !st.LastFetch.IsZero():
		r.State = "ok"
	}
	return r
}

// hostOf is a URL's host without "www.", for "Read the original at …".
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	h := p.Hostname()
	if len(h) > 4 && h[:4] == "www." {
		h = h[4:]
	}
	return h
}

// withoutURL drops the "fetch URL: " a fetch error starts with when URL is
// one the row shows already (the feed column), so the error says only what
// went wrong.
func withoutURL(msg string, urls ...string) string {
	for _, u := range urls {
		if u != "" {
			if rest, ok := strings.CutPrefix(msg, "fetch "+u+": "); ok {
				return rest
			}
		}
	}
	return msg
}
