package render

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
)

// JSONFeedVersion is the JSON Feed version this package writes.
const JSONFeedVersion = "https://jsonfeed.org/version/1.1"

type jsonFeed struct {
	Version     string       `json:"version"`
	Title       string       `json:"title"`
	HomePageURL string       `json:"home_page_url"`
	FeedURL     string       `json:"feed_url"`
	Description string       `json:"description,omitempty"`
	Language    string       `json:"language"`
	Authors     []jsonAuthor `json:"authors"`
	Items       []jsonItem   `json:"items"` // always present, [] when empty
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type jsonItem struct {
	ID            string        `json:"id"`
	URL           string        `json:"url"`
	Title         string        `json:"title"`
	ContentHTML   string        `json:"content_html"`
	Summary       string        `json:"summary,omitempty"`
	DatePublished string        `json:"date_published"`
	DateModified  string        `json:"date_modified"`
	Authors       []jsonAuthor  `json:"authors,omitempty"`
	Tags          []string      `json:"tags,omitempty"`
	Feedloom      JSONExtension `json:"_feedloom"`
}

// JSONExtension is the `_feedloom` object of every JSON Feed item
// (SPEC.md, HTTP): the article id used in /articles/{id}, the names of
// every source that carried it, and its related posts. Exported so the
// HTTP layer's tests and scripts can decode it.
type JSONExtension struct {
	Article int64         `json:"article"`
	Sources []string      `json:"sources"`
	Related []JSONRelated `json:"related"`
	// Terms are the article's automatic key terms (tags.auto), apart from
	// its tags.
	Terms []string `json:"terms,omitempty"`
}

// JSONRelated is one related post in the `_feedloom` extension; URL is the
// related article's original link (its page here when it has none).
type JSONRelated struct {
	Article int64   `json:"article"`
	URL     string  `json:"url"`
	Title   string  `json:"title"`
	Score   float64 `json:"score"`
}

// JSON writes d as a JSON Feed 1.1 document. Item ids are ArticleURL, url
// the original article, content_html the content (else the summary, else
// the escaped title: the format requires one), summary the summary as plain
// text (JSON Feed's summary is not HTML), and `_feedloom` the extension of
// SPEC.md. HTML is not \u-escaped: the document is JSON, served as such.
func JSON(w io.Writer, s Site, d Doc) error {
	f := jsonFeed{
		Version:     JSONFeedVersion,
		Title:       docTitle(s, d),
		HomePageURL: docURL(s, d.Page, ""),
		FeedURL:     docURL(s, d.Path, ".json"),
		Description: line(d.Description),
		Language:    language(s),
		Authors:     []jsonAuthor{{Name: siteTitle(s), URL: base(s)}},
		Items:       make([]jsonItem, 0, len(d.Entries)),
	}
	for _, e := range d.Entries {
		f.Items = append(f.Items, jsonItemOf(s, e))
	}
	// HTML escaping (\u003c for "<") stays on: a JSON Feed is data, but
	// a client that sniffs or mislabels it as HTML must find no markup in
	// it (defence in depth; web also sends nosniff).
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return fmt.Errorf("write json feed: %w", err)
	}
	return nil
}

// jsonItemOf builds one item.
func jsonItemOf(s Site, e Entry) jsonItem {
	a := e.Article
	it := jsonItem{
		ID:            ArticleURL(s, a.ID),
		URL:           link(s, a),
		Title:         title(a),
		ContentHTML:   contentHTML(a),
		Summary:       plainText(a.Summary),
		DatePublished: rfc3339(published(a)),
		DateModified:  rfc3339(updated(a)),
		Tags:          tags(a),
		Feedloom: JSONExtension{
			Article: a.ID,
			Sources: make([]string, 0, len(a.Sources)),
			Related: make([]JSONRelated, 0, len(e.Related)),
		},
	}
	if it.ContentHTML == "" {
		it.ContentHTML = "<p>" + html.EscapeString(it.Title) + "</p>"
	}
	if n := author(s, a); n != "" {
		it.Authors = []jsonAuthor{{Name: n}}
	}
	if len(it.Tags) == 0 {
		it.Tags = nil
	}
	if t := terms(a); len(t) > 0 {
		it.Feedloom.Terms = t
	}
	for _, name := range a.Sources {
		it.Feedloom.Sources = append(it.Feedloom.Sources, line(name))
	}
	for _, r := range e.Related {
		it.Feedloom.Related = append(it.Feedloom.Related, JSONRelated{
			Article: r.ArticleID,
			URL:     relatedLink(s, r),
			Title:   relatedTitle(r),
			Score:   score(r.Score),
		})
	}
	return it
}

// score rounds a related score to four decimals for compact output; NaN and
// infinities, which JSON cannot carry, become 0.
func score(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*1e4) / 1e4
}
