package render_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden with the current output")

// at parses an RFC 3339 time for the fixtures.
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixtureSite is published under a sub-path, to check links keep it.
func fixtureSite() render.Site {
	return render.Site{
		Title:   "World Desk",
		BaseURL: "https://news.example.org/desk/",
		Sources: map[string]feeds.Source{
			"example-world": {Name: "example-world", URL: "https://example.org/world/rss.xml", Title: "Example World", Tags: []string{"world"}},
			"wire-news":     {Name: "wire-news", URL: "https://wire.example.com/feed.atom"},
			"local-blog":    {Name: "local-blog", URL: "file:///srv/feeds/blog.xml", Title: "Local Blog"},
		},
	}
}

// fixtureEntries are five articles covering the cases a feed meets: two
// sources, related posts, tags with non-ASCII letters, an article without
// link, author, summary or content, one from a source no longer configured.
func fixtureEntries(t *testing.T) []render.Entry {
	t.Helper()
	return []render.Entry{
		{
			Article: feeds.Article{
				ID: 105, Link: "https://example.org/economy/markets?id=5&lang=fr", Title: "Markets rally in Paris",
				Summary: "<p>Stocks rose 2% &amp; the euro held.</p>", Author: "Zoë O’Brien & Co",
				Published: at(t, "2024-05-03T09:15:00+02:00"),
				Tags:      []string{"économie", "markets"}, Sources: []string{"example-world"},
			},
		},
		{
			Article: feeds.Article{
				ID: 104, Link: "https://wire.example.com/2024/05/02/oil", Title: "Pipeline attack cuts Iraqi oil exports",
				Summary: "<p>Exports through the northern pipeline stopped.</p>",
				Content: "<p>Exports through the northern pipeline <em>stopped</em> on Thursday.</p><p>Officials said repairs would take a week.</p>",
				Author:  "Wire Staff", Published: at(t, "2024-05-02T18:00:00Z"), Updated: at(t, "2024-05-02T19:30:00Z"),
				Tags: []string{"energy", "iraq", "security"}, Terms: []string{"kirkuk-pipeline\tkirkuk-pipelin", "kirkuk", "<b>oil</b>"}, Sources: []string{"wire-news", "example-world"},
			},
			Related: []feeds.RelatedPost{
				{ArticleID: 101, Title: "Ceasefire talks resume in Doha", Link: "https://example.org/world/ceasefire", Published: at(t, "2024-05-02T08:30:00Z"), Score: 1.2345678, Shared: []string{"iraq"}},
			},
		},
		{
			Article: feeds.Article{
				ID: 103, Title: "Notes from the field", Published: at(t, "2024-05-02T12:00:00Z"),
				Sources: []string{"local-blog"},
			},
		},
		{
			Article: feeds.Article{
				ID: 102, Link: "https://wire.example.com/2024/05/02/aleppo", Title: "Aid convoy reaches Aleppo",
				Content:   "<p>The convoy of 40 trucks arrived at dawn.</p>",
				Published: at(t, "2024-05-02T10:00:00Z"),
				Tags:      []string{"aid", "syria"}, Sources: []string{"retired-feed"},
			},
			Related: []feeds.RelatedPost{
				{ArticleID: 101, Title: "Ceasefire talks resume in Doha", Link: "https://example.org/world/ceasefire", Published: at(t, "2024-05-02T08:30:00Z"), Score: 0.9, Shared: []string{"syria"}},
			},
		},
		{
			Article: feeds.Article{
				ID: 101, Link: "https://example.org/world/ceasefire", Title: "Ceasefire talks resume in Doha",
				Summary: "<p>Negotiators met for a third day.</p>",
				Content: "<p>Negotiators met for a third day in Doha.</p><blockquote>We are close, but not there yet.</blockquote>",
				Author:  "Jane Roe", Published: at(t, "2024-05-02T08:30:00Z"), Updated: at(t, "2024-05-02T11:00:00Z"),
				Tags: []string{"iraq", "middle-east", "syria"}, Sources: []string{"example-world", "wire-news"},
			},
			Related: []feeds.RelatedPost{
				{ArticleID: 102, Title: "Aid convoy reaches Aleppo", Link: "https://wire.example.com/2024/05/02/aleppo", Published: at(t, "2024-05-02T10:00:00Z"), Score: 2.5, Shared: []string{"syria"}},
				{ArticleID: 104, Title: "Pipeline attack cuts Iraqi oil exports", Link: "https://wire.example.com/2024/05/02/oil", Published: at(t, "2024-05-02T18:00:00Z"), Score: 1.2345678, Shared: []string{"iraq"}},
			},
		},
	}
}

// fixtureDoc is the built-in "all" feed of the fixtures.
func fixtureDoc(t *testing.T) render.Doc {
	return render.Doc{Path: "feeds/all", Title: "World Desk: all articles", Description: "Every article, newest first", Entries: fixtureEntries(t)}
}

// hostileSite and hostileEntries carry text a hostile feed could send:
// control characters, invalid UTF-8, non-characters, CDATA terminators,
// bidi overrides, markup and javascript: links in every plain-text field.
// Summary and content are what a sanitiser lets through (no script), but
// still hold bad characters.
const nasty = "<script>alert(1)</script>\x00\x01\x08\x1b\x7f\u0085 ]]> \xff\xfe\uFFFE\uFFFF \u202Eevil\u202C <img src=x onerror=alert(1)>"

func hostileSite() render.Site {
	s := fixtureSite()
	s.Title = "Desk " + nasty
	s.Sources["evil"] = feeds.Source{Name: "evil", URL: "javascript:alert(1)", Title: "<b onclick=alert(1)>Evil</b>" + nasty}
	s.Hub = "javascript:alert(1)" // not a URL a subscriber can reach: not advertised
	return s
}

func hostileEntries(t *testing.T) []render.Entry {
	return []render.Entry{
		{
			Article: feeds.Article{
				ID: 666, Link: "javascript:alert(1)", Title: "Title " + nasty, Author: "<script>x</script>\x07" + nasty,
				Summary:   "<p>summary ]]> \x01\xff\uFFFE &lt;script&gt;</p>",
				Content:   "<p>content ]]&gt; ]]> \x00\x1f\xc3\x28 \uFFFF</p>",
				Published: at(t, "2024-05-04T00:00:00Z"),
				Tags:      []string{"<script>", "a\x00b", "ok"}, Sources: []string{"evil", "<script>"},
			},
			Related: []feeds.RelatedPost{
				{ArticleID: 667, Title: "Rel " + nasty, Link: "javascript:alert(2)", Score: 1, Shared: []string{"<script>"}},
			},
		},
		{
			Article: feeds.Article{
				ID: 667, Link: " https://evil.example/\x01a\"b'<c>", Title: "\x00\x01\u202E", Author: nasty,
				Published: at(t, "2024-05-03T00:00:00Z"), Sources: []string{"evil"},
			},
		},
	}
}

func hostileDoc(t *testing.T) render.Doc {
	return render.Doc{Path: "tags/<script>", Page: "tags/<script>", Title: nasty, Description: nasty, Entries: hostileEntries(t)}
}

// golden compares got with testdata/NAME.golden, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n--- got ---\n%s", path, got)
	}
}

// sharedDir is ../shared next to the repository root (found by walking up
// to go.mod), or "" when absent.
func sharedDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(shared); err != nil {
		return ""
	}
	return shared
}

// format is one feed writer.
type format struct {
	ext   string
	write func(w *bytes.Buffer, s render.Site, d render.Doc) error
}

func formats() []format {
	return []format{
		{"atom", func(w *bytes.Buffer, s render.Site, d render.Doc) error { return render.Atom(w, s, d) }},
		{"rss", func(w *bytes.Buffer, s render.Site, d render.Doc) error { return render.RSS(w, s, d) }},
		{"json", func(w *bytes.Buffer, s render.Site, d render.Doc) error { return render.JSON(w, s, d) }},
	}
}

// hubSite advertises a WebSub hub; its URL needs escaping in XML and JSON.
func hubSite() render.Site {
	s := fixtureSite()
	s.Hub = "https://hub.example.net/websub?site=desk&v=1"
	return s
}

// docs are the datasets every format is rendered from.
func docs(t *testing.T) []struct {
	name string
	site render.Site
	doc  render.Doc
} {
	return []struct {
		name string
		site render.Site
		doc  render.Doc
	}{
		{"all", fixtureSite(), fixtureDoc(t)},
		{"empty", fixtureSite(), render.Doc{Path: "feeds/quiet", Title: "Quiet", Description: "Nothing matches"}},
		{"hostile", hostileSite(), hostileDoc(t)},
		{"hub", hubSite(), render.Doc{Path: "feeds/quiet", Title: "Quiet", Description: "Nothing matches"}},
		{"current", hubSite(), currentDoc(t)},
		{"archive", hubSite(), archiveDoc(t)},
	}
}

// currentDoc is a current document that links to its newest archive page.
func currentDoc(t *testing.T) render.Doc {
	d := fixtureDoc(t)
	d.History = render.History{PrevArchive: "feeds/all/archive/3"}
	return d
}

// archiveDoc is an archive page between two others (RFC 5005): it links
// both neighbours and the current document, and is marked fh:archive.
func archiveDoc(t *testing.T) render.Doc {
	d := fixtureDoc(t)
	d.Path = "feeds/all/archive/2"
	d.History = render.History{Archive: true, Current: "feeds/all",
		PrevArchive: "feeds/all/archive/1", NextArchive: "feeds/all/archive/3"}
	return d
}

// render writes one document.
func renderDoc(t *testing.T, f format, s render.Site, d render.Doc) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f.write(&buf, s, d); err != nil {
		t.Fatalf("%s: %v", f.ext, err)
	}
	return buf.Bytes()
}
