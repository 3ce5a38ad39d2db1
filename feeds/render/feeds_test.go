package render_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/feedloom/feedloom/feeds"
	"github.com/feedloom/feedloom/feeds/render"
)

func TestGoldenFeeds(t *testing.T) {
	for _, d := range docs(t) {
		for _, f := range formats() {
			t.Run(d.name+"."+f.ext, func(t *testing.T) {
				got := renderDoc(t, f, d.site, d.doc)
				if again := renderDoc(t, f, d.site, d.doc); !bytes.Equal(got, again) {
					t.Fatal("two renders of the same data differ")
				}
				golden(t, d.name+"."+f.ext, got)
			})
		}
	}
}

// TestWellFormed re-parses every output: hostile text must never break a
// document, nor reach it as markup.
func TestWellFormed(t *testing.T) {
	for _, d := range docs(t) {
		for _, f := range formats() {
			t.Run(d.name+"."+f.ext, func(t *testing.T) {
				out := renderDoc(t, f, d.site, d.doc)
				if f.ext == "json" {
					checkJSON(t, out)
					return
				}
				dec := xml.NewDecoder(bytes.NewReader(out))
				for {
					_, err := dec.Token()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("not well-formed: %v\n%s", err, out)
					}
				}
				for _, bad := range []string{"<script", "<img", "\uFFFE", "\u202E", "javascript:"} {
					if bytes.Contains(out, []byte(bad)) {
						t.Errorf("output contains %q", bad)
					}
				}
			})
		}
	}
}

// checkJSON decodes a JSON Feed and checks its HTML fields carry no markup
// from plain-text input and no forbidden characters; plain-text fields may
// hold "<script>" as text (that is what the feed said), never as HTML.
func checkJSON(t *testing.T, out []byte) {
	t.Helper()
	if !json.Valid(out) {
		t.Fatalf("invalid JSON:\n%s", out)
	}
	var doc struct {
		Items []struct {
			ContentHTML string `json:"content_html"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	for _, it := range doc.Items {
		for _, bad := range []string{"<script", "<img", "onerror"} {
			if strings.Contains(it.ContentHTML, bad) {
				t.Errorf("content_html contains %q: %q", bad, it.ContentHTML)
			}
		}
	}
	for _, bad := range []string{"\uFFFE", "\u202E", "javascript:", "\x00", "\x01"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("output contains %q", bad)
		}
	}
}

// TestGofeedRoundTrip parses every format back with gofeed (the parser
// feedloom itself and many readers use) and compares ids, links, dates and
// tags with what went in.
func TestGofeedRoundTrip(t *testing.T) {
	site, doc := fixtureSite(), fixtureDoc(t)
	for _, f := range formats() {
		t.Run(f.ext, func(t *testing.T) {
			out := renderDoc(t, f, site, doc)
			feed, err := gofeed.NewParser().Parse(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			if want := "https://news.example.org/desk/feeds/all." + f.ext; feed.FeedLink != want {
				t.Errorf("feed link = %q, want %q", feed.FeedLink, want)
			}
			if want := "https://news.example.org/desk/"; feed.Link != want {
				t.Errorf("home link = %q, want %q", feed.Link, want)
			}
			if len(feed.Items) != len(doc.Entries) {
				t.Fatalf("%d items, want %d", len(feed.Items), len(doc.Entries))
			}
			for i, it := range feed.Items {
				a := doc.Entries[i].Article
				if want := render.ArticleURL(site, a.ID); it.GUID != want {
					t.Errorf("item %d id = %q, want %q", i, it.GUID, want)
				}
				wantLink := a.Link
				if wantLink == "" {
					wantLink = render.ArticleURL(site, a.ID)
				}
				if it.Link != wantLink {
					t.Errorf("item %d link = %q, want %q", i, it.Link, wantLink)
				}
				if it.Title != a.Title {
					t.Errorf("item %d title = %q, want %q", i, it.Title, a.Title)
				}
				if it.PublishedParsed == nil || !it.PublishedParsed.Equal(a.Published) {
					t.Errorf("item %d published = %v, want %v", i, it.PublishedParsed, a.Published)
				}
				if f.ext != "rss" { // RSS has no updated date
					want := a.Updated
					if want.IsZero() {
						want = a.Published
					}
					if it.UpdatedParsed == nil || !it.UpdatedParsed.Equal(want) {
						t.Errorf("item %d updated = %v, want %v", i, it.UpdatedParsed, want)
					}
				}
				// Atom and RSS publish the key terms as categories too, after
				// the tags, under a scheme of their own; JSON Feed keeps them
				// in _feedloom.
				want := a.Tags
				if f.ext != "json" {
					for _, tm := range a.Terms {
						want = append(slices.Clip(want), feeds.DecodeTerm(tm).Label)
					}
				}
				if strings.Join(it.Categories, ",") != strings.Join(want, ",") {
					t.Errorf("item %d categories = %q, want %q", i, it.Categories, want)
				}
			}
		})
	}
}

// TestJSONExtension checks the `_feedloom` object of SPEC.md.
func TestJSONExtension(t *testing.T) {
	site, doc := fixtureSite(), fixtureDoc(t)
	var buf bytes.Buffer
	if err := render.JSON(&buf, site, doc); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Items []struct {
			ID       string               `json:"id"`
			Feedloom render.JSONExtension `json:"_feedloom"`
		} `json:"items"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	last := got.Items[4].Feedloom
	if last.Article != 101 || strings.Join(last.Sources, ",") != "example-world,wire-news" {
		t.Errorf("_feedloom = %+v", last)
	}
	want := []render.JSONRelated{
		{Article: 102, URL: "https://wire.example.com/2024/05/02/aleppo", Title: "Aid convoy reaches Aleppo", Score: 2.5},
		{Article: 104, URL: "https://wire.example.com/2024/05/02/oil", Title: "Pipeline attack cuts Iraqi oil exports", Score: 1.2346},
	}
	if len(last.Related) != len(want) {
		t.Fatalf("related = %+v", last.Related)
	}
	for i := range want {
		if last.Related[i] != want[i] {
			t.Errorf("related[%d] = %+v, want %+v", i, last.Related[i], want[i])
		}
	}
	if r := got.Items[2].Feedloom; r.Sources == nil || r.Related == nil {
		t.Errorf("empty lists must be [], got %+v", r)
	}
}

func TestLanguage(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"default", "", "en"},
		{"region", "pt-BR", "pt-BR"},
		{"script", "zh-Hant-TW", "zh-Hant-TW"},
		{"not a tag", "en_US; <x>", "en"},
		{"digit first", "1a", "en"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := render.Atom(&buf, render.Site{BaseURL: "https://x.example/", Language: tt.in}, render.Doc{Path: "feeds/all"}); err != nil {
				t.Fatal(err)
			}
			if want := `xml:lang="` + tt.want + `"`; !strings.Contains(buf.String(), want) {
				t.Errorf("no %s in\n%s", want, buf.String())
			}
		})
	}
}

func TestArticleURL(t *testing.T) {
	tests := []struct {
		name, base, want string
	}{
		{"root", "https://news.example.org/", "https://news.example.org/articles/42"},
		{"sub-path", "https://example.org/news/", "https://example.org/news/articles/42"},
		{"no final slash", "https://example.org/news", "https://example.org/news/articles/42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render.ArticleURL(render.Site{BaseURL: tt.base}, 42); got != tt.want {
				t.Errorf("ArticleURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEmptyFeedDate checks a feed without entries has a fixed date, not
// the time of the render.
func TestEmptyFeedDate(t *testing.T) {
	var buf bytes.Buffer
	if err := render.Atom(&buf, fixtureSite(), render.Doc{Path: "feeds/none"}); err != nil {
		t.Fatal(err)
	}
	feed, err := gofeed.NewParser().Parse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if feed.UpdatedParsed == nil || !feed.UpdatedParsed.Equal(time.Unix(0, 0)) {
		t.Errorf("updated = %v, want the Unix epoch", feed.UpdatedParsed)
	}
}

// TestRSSSiteLink: a reader that matches "link" without its namespace and
// keeps the last match (encoding/xml with `channel>link`, as yarr reads
// RSS) gets the site, not the self link's empty text; gofeed, which knows
// namespaces, gets it too.
func TestRSSSiteLink(t *testing.T) {
	for _, d := range docs(t) {
		t.Run(d.name, func(t *testing.T) {
			out := renderDoc(t, formats()[1], d.site, d.doc)
			var naive struct {
				Link string `xml:"channel>link"`
			}
			dec := xml.NewDecoder(bytes.NewReader(out))
			dec.DefaultSpace = "rss"
			if err := dec.Decode(&naive); err != nil {
				t.Fatal(err)
			}
			gf, err := gofeed.NewParser().ParseString(string(out))
			if err != nil {
				t.Fatal(err)
			}
			if naive.Link == "" || strings.HasSuffix(naive.Link, ".rss") || naive.Link != gf.Link {
				t.Errorf("namespace-blind reader takes %q, gofeed %q; want the site", naive.Link, gf.Link)
			}
		})
	}
}

// TestHub: with Site.Hub set, every format advertises the hub where
// WebSub subscribers look for it (Atom link and RSS atom:link rel="hub"
// on the feed, JSON Feed hubs); without one, or with one that is not an
// absolute http(s) URL, nothing is added and the bytes are the goldens'.
func TestHub(t *testing.T) {
	const hubURL = "https://hub.example.net/websub?site=desk&v=1"
	tests := []struct {
		name, hub, want string
	}{
		{"set", hubURL, hubURL},
		{"empty", "", ""},
		{"not http", "javascript:alert(1)", ""},
		{"relative", "/hub", ""},
	}
	for _, tt := range tests {
		for _, f := range formats() {
			t.Run(tt.name+"."+f.ext, func(t *testing.T) {
				site := fixtureSite()
				site.Hub = tt.hub
				out := renderDoc(t, f, site, fixtureDoc(t))
				hubs := advertisedHubs(t, f.ext, out)
				if tt.want == "" {
					if len(hubs) != 0 {
						t.Errorf("hubs = %q, want none", hubs)
					}
					golden(t, "all."+f.ext, out)
					return
				}
				if len(hubs) != 1 || hubs[0] != tt.want {
					t.Errorf("hubs = %q, want [%q]", hubs, tt.want)
				}
			})
		}
	}
}

// advertisedHubs decodes the feed-level hub URLs of a document.
func advertisedHubs(t *testing.T, ext string, out []byte) []string {
	t.Helper()
	type link struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	}
	var links []link
	switch ext {
	case "atom":
		var doc struct {
			Links []link `xml:"http://www.w3.org/2005/Atom link"`
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		links = doc.Links
	case "rss":
		var doc struct {
			Channel struct {
				Links []link `xml:"http://www.w3.org/2005/Atom link"`
			} `xml:"channel"`
		}
		if err := xml.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		links = doc.Channel.Links
	case "json":
		var doc struct {
			Hubs []struct{ Type, URL string } `json:"hubs"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			t.Fatal(err)
		}
		var urls []string
		for _, h := range doc.Hubs {
			if h.Type != "WebSub" {
				t.Errorf("hub type = %q, want WebSub", h.Type)
			}
			urls = append(urls, h.URL)
		}
		return urls
	}
	var urls []string
	for _, l := range links {
		if l.Rel == "hub" {
			urls = append(urls, l.Href)
		}
	}
	return urls
}
