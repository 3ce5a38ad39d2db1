package render

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"time"

	"github.com/gorilla/feeds"
)

// JSONFeedVersion is the JSON Feed version this package writes.
const JSONFeedVersion = "https://jsonfeed.org/version/1.1"

// The JSON Feed writer marshals gorilla/feeds' JSONFeed and JSONItem,
// wrapped by embedding (shared/notes/gorilla-feeds.md): gorilla omits an
// empty items list (the format requires it) and has no place for the
// _feedloom extension. An outer field shadows the embedded one with the
// same JSON name; Language and Authors are shadowed only to keep their
// place in the document.

type jsonFeed struct {
	feeds.JSONFeed
	Language string              `json:"language"`
	Authors  []*feeds.JSONAuthor `json:"authors"`
	Items    []jsonItem          `json:"items"` // always present, [] when empty
}

type jsonItem struct {
	feeds.JSONItem
	Feedloom JSONExtension `json:"_feedloom"`
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
// SPEC.md. When Site.Hub is set, hubs names it as a WebSub hub (not in
// archive pages). Doc.History's PrevArchive is next_url, JSON Feed's
// link to the next (older) page; feed_url stays the current document's,
// the feed's identifier.
func JSON(w io.Writer, s Site, d Doc) error {
	f := jsonFeed{
		JSONFeed: feeds.JSONFeed{
			Version:     JSONFeedVersion,
			Title:       docTitle(s, d),
			HomePageUrl: docURL(s, d.Page, ""),
			FeedUrl:     docURL(s, feedID(d), ".json"),
			Description: line(d.Description),
		},
		Language: language(s),
		Authors:  []*feeds.JSONAuthor{{Name: siteTitle(s), Url: base(s)}},
		Items:    make([]jsonItem, 0, len(d.Entries)),
	}
	if h := docHub(s, d); h != "" {
		f.Hubs = []*feeds.JSONHub{{Type: "WebSub", Url: h}}
	}
	if p := d.History.PrevArchive; p != "" {
		f.NextUrl = docURL(s, p, ".json")
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
		JSONItem: feeds.JSONItem{
			Id:            ArticleURL(s, a.ID),
			Url:           link(s, a),
			Title:         title(a),
			ContentHTML:   contentHTML(a),
			Summary:       plainText(a.Summary),
			PublishedDate: jsonDate(published(a)),
			ModifiedDate:  jsonDate(updated(a)),
			Tags:          tags(a),
		},
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
		it.Authors = []*feeds.JSONAuthor{{Name: n}}
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

// jsonDate is t for gorilla's *time.Time date fields: UTC and whole
// seconds, as in Atom, so both formats give an entry the same dates. A
// year time.Time cannot marshal (outside 0-9999) becomes the epoch rather
// than failing the whole document.
func jsonDate(t time.Time) *time.Time {
	t = t.UTC().Truncate(time.Second)
	if y := t.Year(); y < 0 || y > 9999 {
		t = epoch()
	}
	return &t
}

// score rounds a related score to four decimals for compact output; NaN and
// infinities, which JSON cannot carry, become 0.
func score(f float64) float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	return math.Round(f*1e4) / 1e4
}
